"""What the benchmark scripts share: processes and ports, scratch databases and Redis prefixes,
the ERP emulator, load generators and the yardstick."""
