/* onednn.c: the oneDNN engine shared by the cnn plugin's fast paths
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * oneDNN (Debian libdnnl-dev) picks its kernels for the CPU at run time
 * (AVX-512 brgemm convolutions here) and runs them on OpenMP threads. */
#include "onednn.h"

#include <omp.h>

dnnl_engine_t
onednn_engine (void)
{
  static gsize once = 0;
  static dnnl_engine_t engine = NULL;
  if (g_once_init_enter (&once))
    {
      if (dnnl_engine_create (&engine, dnnl_cpu, 0) != dnnl_success)
        engine = NULL;
      g_once_init_leave (&once, 1);
    }
  return engine;
}

void
onednn_set_threads (void)
{
  omp_set_num_threads ((int) cnnfilt_get_threads ());
}

gboolean
onednn_error (GError **error, const gchar *op, const gchar *what, dnnl_status_t status)
{
  g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_FAILED, "%s: oneDNN cannot %s (status %d)", op,
               what, (int) status);
  return FALSE;
}

void
onednn_sgemm (gboolean trans_a, gboolean trans_b, gsize m, gsize n, gsize k, gfloat alpha,
              const gfloat *a, gsize lda, const gfloat *b, gsize ldb, gfloat beta, gfloat *c,
              gsize ldc)
{
  onednn_set_threads ();
  dnnl_status_t status = dnnl_sgemm (trans_a ? 'T' : 'N', trans_b ? 'T' : 'N', m, n, k, alpha, a,
                                     lda, b, ldb, beta, c, ldc);
  /* Only invalid arguments fail, which the callers' shape checks rule out. */
  g_assert (status == dnnl_success);
}
