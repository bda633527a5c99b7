"""Reference solutions of the exercises, one module per lesson, written as a student would.

Each function has the name and signature of the exercise's stub, so a lesson
can show its source under "Solution" and the tests can run it through the
check. The checks compare a student's answer with the library's own
implementation where there is one; these solutions are the short, from-scratch
versions a student is expected to write.
"""
