"""Home Visit Toolkit: the application package."""
