"""Services: the use cases (record a visit, close an action, refer, export, print), each in one transaction.

Services read and write through ``homevisit.data`` and decide with ``homevisit.domain``.
"""
