"""Records: the signed PDF visit record, rendered (WeasyPrint), signed and verified (pyHanko)."""
