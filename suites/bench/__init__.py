"""pytest-benchmark suites: what each operation and isolation strategy costs per backend."""
