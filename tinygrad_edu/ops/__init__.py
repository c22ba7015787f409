"""The built-in ops, one family per file. Each is a Function subclass: forward and backward
side by side, the math in the docstring.

Beside them, as plain data, each op says how its derivative is written (the pictures in viz
print it; tests/test_op_formulas.py checks it against backward):

    input_names         the letters for its inputs, ("a", "b")
    local_derivatives   elementwise ops: ∂y/∂(each input) in those letters, y the output
    gradient_formulas   other ops: what backward sends to each input, g standing for ∂L/∂y
"""
