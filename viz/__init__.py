"""Pictures of the computation graph and of backpropagation, step by step.

Stub: drawing arrives with the viz issue.
"""
