# bench/openblas.sh: sourced by the benchmarks whose Python side needs a
# real BLAS (bench/search, bench/faiss).
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Debian's numpy (and FAISS) call whatever libblas.so.3 the alternatives
# point at; the reference BLAS (libblas3) is one thread and no kernels of
# its own, which is not what their users run (pip's wheels bundle
# OpenBLAS).

# openblas_dir CACHE: prints the folder of libopenblas0-pthread's
# libblas.so.3 and liblapack.so.3 (installed, or fetched with apt-get
# download and unpacked into CACHE/debian: nothing installed), to put on
# LD_LIBRARY_PATH; prints nothing where there is none. The system's own
# libblas.so.3, when it is OpenBLAS, needs no folder: see system_blas.
openblas_dir() {
  local cache=$1 ob=/usr/lib/x86_64-linux-gnu/openblas-pthread deb
  if [[ ! -f $ob/libblas.so.3 ]]; then
    ob=$cache/debian/openblas/usr/lib/x86_64-linux-gnu/openblas-pthread
    if [[ ! -f $ob/libblas.so.3 ]]; then
      echo "fetching libopenblas0-pthread (apt-get download; unpacked into the cache, not installed)" >&2
      mkdir -p "$cache/debian"
      (cd "$cache/debian" && apt-get download libopenblas0-pthread >/dev/null 2>&1) || true
      deb=$(ls "$cache"/debian/libopenblas0-pthread_*.deb 2>/dev/null | head -n 1)
      [[ -n $deb ]] && dpkg-deb -x "$deb" "$cache/debian/openblas"
    fi
  fi
  if [[ -f $ob/libblas.so.3 && -f $ob/liblapack.so.3 ]]; then echo "$ob"; fi
}

# The file the system's libblas.so.3 resolves to.
system_blas() {
  readlink -f /usr/lib/x86_64-linux-gnu/libblas.so.3 2>/dev/null || true
}
