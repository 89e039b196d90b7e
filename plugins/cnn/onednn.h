/* onednn.h: the oneDNN engine shared by the cnn plugin's fast paths
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <cnnfilt.h>
#include <oneapi/dnnl/dnnl.h>

G_BEGIN_DECLS

/* The CPU engine, made once; NULL if oneDNN cannot make one. */
dnnl_engine_t onednn_engine (void);

/* Gives oneDNN's OpenMP threads (and its sgemm) the count that
 * cnnfilt_get_threads() allows, for the calling thread. */
void onednn_set_threads (void);

/* Sets @error from a oneDNN status, naming @op and @what; FALSE. */
gboolean onednn_error (GError **error, const gchar *op, const gchar *what, dnnl_status_t status);

/* dnnl_sgemm, row-major: C = alpha·op(A)·op(B) + beta·C */
void onednn_sgemm (gboolean trans_a, gboolean trans_b, gsize m, gsize n, gsize k, gfloat alpha,
                   const gfloat *a, gsize lda, const gfloat *b, gsize ldb, gfloat beta, gfloat *c,
                   gsize ldc);

G_END_DECLS
