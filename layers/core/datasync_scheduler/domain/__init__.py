"""Pure domain code: no AWS SDK imports, no I/O. Everything here is a function of its inputs."""
