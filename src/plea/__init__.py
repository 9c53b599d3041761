"""plea: letter campaigns to governments for people who need protection."""

__version__ = "0.1.0"
