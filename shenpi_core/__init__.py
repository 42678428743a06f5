"""The bottom layer: what the compiler, the interpreter, the activities and the API all rely on.

The contracts between them (``contracts``, the compiled ``process_plan`` and
``decision_plan``), the expression language (grammar and AST in ``expression_ast``, function
table and evaluator in ``expressions``, FEEL in the ``feel_*`` modules), DMN evaluation
(``decisions``, ``decision_tables``), the limits every layer enforces and the search attribute
keys. It imports no other Shenpi package, so nothing above it can form a cycle
(docs/architecture.md §1).
"""
