"""Tools for finding what went wrong, and for teaching: gradcheck, check_op, check_graph, explain,
anomaly mode and teaching mode. The engine calls them only at named hooks (core/hooks.py)."""
