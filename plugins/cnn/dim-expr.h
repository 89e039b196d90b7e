/* dim-expr.h: sizes written as expressions of a tensor's dims
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <cnnfilt.h>

G_BEGIN_DECLS

/* The value of @text, numbers, d0 … d3 (the dims @dims), + - * / and
 * brackets (/ rounds toward zero, as ONNX runtimes divide integers), for
 * @op's @property; with @dims NULL its form only is checked. FALSE with
 * @error, naming op, property and text, where it does not read or
 * overflows 64 bits. */
gboolean layer_dim_expr_value (const gchar *op, const gchar *property, const gchar *text,
                               const guint *dims, gint64 *value, GError **error);

/* The comma-separated sizes of @text, @min_count to @max_count (at most
 * 4) of them, each as layer_dim_expr_value() reads it, into @values, 1s
 * after them; FALSE with @error, naming op and property, otherwise. */
gboolean layer_dim_expr_list (const gchar *op, const gchar *property, const gchar *text,
                              guint min_count, guint max_count, const guint *dims,
                              gint64 values[4], GError **error);

/* The comma-separated values of @text (NULL as ""), each stripped; none
 * for "". */
GStrv layer_split_list (const gchar *text);

G_END_DECLS
