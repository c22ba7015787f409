"""The built-in ops, one family per file. Each is a Function subclass: forward and backward
side by side, the math in the docstring."""
