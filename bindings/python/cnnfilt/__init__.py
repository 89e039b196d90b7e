# cnnfilt: Python helpers built on libcnnfilt's GObject Introspection
# binding (gi.repository.Cnnfilt and its overrides in gi/overrides).
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Python helpers built on libcnnfilt.

The library itself is ``gi.repository.Cnnfilt``; this package holds what
sits on top of it in Python:

``cnnfilt.dask``
    ``cnnfilt run``, ``cnnfilt edges`` and ``cnnfilt embed`` over the
    worker processes of a ``dask.distributed`` cluster (needs
    ``distributed``: Debian's python3-distributed).
"""
