"""netreach's version: a module of its own so every layer can name it without importing the
package's front door."""

__version__ = "0.1.0"
