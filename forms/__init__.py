"""WTForms classes, one module per part of the visit. Forms know nothing of storage."""
