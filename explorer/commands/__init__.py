"""Subcommands of ``python -m explorer``, one module each.

Every module here defines ``HELP`` (one line), ``add_arguments(parser)`` and ``run(args) -> int``.
The CLI finds them by name, so adding a subcommand means adding a module. Keep imports of torch
and other heavy packages inside ``run`` so ``--help`` stays fast.
"""
