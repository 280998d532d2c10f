"""Domain: pure functions and vocabulary (data dictionary, growth, rules, facts, calendar, words).

No I/O, no SQL, no Flask: everything here can be tested with plain values.
"""
