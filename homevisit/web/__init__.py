"""Web: the Flask app wiring, the access decorators, problem documents, the views, the CLI and the demo.

The only layer that imports Flask. It calls services; nothing below imports it.
"""
