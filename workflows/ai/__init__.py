"""AI steps (``<shenpi:ai>``): the ``ai-review`` activity reviews a request before a user task
opens, fills the variables of an ``ai-review`` service task, or picks an exclusive gateway's flow.

``start`` puts a token in its reviewing phase (the engine calls it); ``outcomes`` turns the
activity's result or failure into tasks, decisions, variables or a flow (the waits call it).
"""
