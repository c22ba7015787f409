"""``tg.cuda``: there is no GPU here, so a PyTorch script's usual first lines

    device = tg.device("cuda" if tg.cuda.is_available() else "cpu")
    model = MLP().to(device)

pick the CPU, where NumPy computes everything.
"""


def is_available() -> bool:
    """False: tinygrad_edu computes with NumPy on the CPU."""
    return False


def device_count() -> int:
    return 0
