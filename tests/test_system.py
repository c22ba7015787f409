import builtins

from tinygrad_edu import system


def test_available_memory_is_a_positive_number_of_bytes():
    memory = system.available_memory()
    assert isinstance(memory, int) and memory > 2**20


def test_available_memory_falls_back_to_the_physical_memory_without_proc(monkeypatch):
    def no_meminfo(*args, **kwargs):
        raise FileNotFoundError("/proc/meminfo")

    monkeypatch.setattr(builtins, "open", no_meminfo)
    monkeypatch.setattr(system.os, "sysconf", lambda name: {"SC_PHYS_PAGES": 1000, "SC_PAGE_SIZE": 4096}[name])
    assert system.available_memory() == 4096 * 1000


def test_available_memory_is_none_when_the_system_does_not_say(monkeypatch):
    def no_meminfo(*args, **kwargs):
        raise FileNotFoundError("/proc/meminfo")

    def no_sysconf(name):
        raise ValueError(f"unrecognized configuration name {name}")

    monkeypatch.setattr(builtins, "open", no_meminfo)
    monkeypatch.setattr(system.os, "sysconf", no_sysconf)
    assert system.available_memory() is None
