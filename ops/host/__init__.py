"""The host half of the catalog: the only psutil and host-file reader, and the request files for host actions.

Probes (disk, network, reboot, upgrades, journal, backup) read the host through `Adapters.host_path`, so a
container with the host's files mounted read-only, or a test with a fixture directory, sees the same paths.
Actions never touch the host: they leave a request file that a host-owned systemd path unit performs.
"""
