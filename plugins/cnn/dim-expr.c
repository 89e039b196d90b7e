/* dim-expr.c: sizes written as expressions of a tensor's dims
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * slice's bounds and expand's sizes may be given as expressions of a
 * tensor's dims, known only when the graph runs: the importer folds
 * PyTorch's shape arithmetic (x.chunk's (d1 + 1) / 2, x.expand's batch)
 * into them. A recursive descent over numbers, d0 … d3, + - * / and
 * brackets, in 64 bits, overflow refused.
 */
#include "dim-expr.h"

#include <errno.h>

/* An expression being read: numbers, d0 … d3, + - * / and brackets, in 64
 * bits. With @dims NULL only its form is checked. */
typedef struct {
  const gchar *at;
  const guint *dims;
  const gchar *problem; /* what is wrong, or NULL */
  guint depth;          /* brackets and signs open, each a call deeper */
} Expr;

/* Deeper brackets are refused before they exhaust the stack. */
#define EXPR_MAX_DEPTH 64

static gint64 expr_sum (Expr *e);

static void
expr_skip_spaces (Expr *e)
{
  while (g_ascii_isspace (*e->at))
    e->at++;
}

static gint64
expr_fail (Expr *e, const gchar *problem)
{
  if (e->problem == NULL)
    e->problem = problem;
  return 0;
}

static gint64
expr_atom (Expr *e)
{
  expr_skip_spaces (e);
  if (e->problem != NULL)
    return 0;
  if ((*e->at == '(' || *e->at == '-') && e->depth >= EXPR_MAX_DEPTH)
    return expr_fail (e, "brackets and signs nest too deep");
  if (*e->at == '(')
    {
      e->at++;
      e->depth++;
      gint64 value = expr_sum (e);
      e->depth--;
      expr_skip_spaces (e);
      if (*e->at != ')')
        return expr_fail (e, "a ')' is missing");
      e->at++;
      return value;
    }
  if (g_ascii_isdigit (*e->at) || (*e->at == '-' && g_ascii_isdigit (e->at[1])))
    {
      /* the sign read with the number: −2⁶³ (INT64_MIN, "from the end
       * backwards") is a number whose magnitude is not */
      gchar *end = NULL;
      errno = 0;
      gint64 value = g_ascii_strtoll (e->at, &end, 10);
      if (errno == ERANGE)
        return expr_fail (e, "a number is out of 64-bit range");
      e->at = end;
      return value;
    }
  if (*e->at == '-')
    {
      e->at++;
      e->depth++;
      gint64 value = expr_atom (e);
      e->depth--;
      return value == G_MININT64 ? expr_fail (e, "a value is out of 64-bit range") : -value;
    }
  if (*e->at == 'd')
    {
      guint k = e->at[1] - '0';
      if (k > 3)
        return expr_fail (e, "d is followed by a dim, 0 to 3");
      e->at += 2;
      return e->dims ? e->dims[k] : 1;
    }
  return expr_fail (e, "expected a number, d0 to d3, '-' or '('");
}

static gint64
expr_product (Expr *e)
{
  gint64 value = expr_atom (e);
  for (;;)
    {
      expr_skip_spaces (e);
      gchar op = *e->at;
      if (e->problem != NULL || (op != '*' && op != '/'))
        return value;
      e->at++;
      gint64 right = expr_atom (e), result = 0;
      if (op == '*' && __builtin_mul_overflow (value, right, &result))
        return expr_fail (e, "a product is out of 64-bit range");
      if (op == '/')
        {
          if (right == 0 && e->dims != NULL)
            return expr_fail (e, "it divides by 0");
          /* C's division rounds toward zero, as ONNX runtimes divide integers */
          result = right == 0 || (value == G_MININT64 && right == -1) ? 0 : value / right;
        }
      value = result;
    }
}

static gint64
expr_sum (Expr *e)
{
  gint64 value = expr_product (e);
  for (;;)
    {
      expr_skip_spaces (e);
      gchar op = *e->at;
      if (e->problem != NULL || (op != '+' && op != '-'))
        return value;
      e->at++;
      gint64 right = expr_product (e), result;
      if (op == '+' ? __builtin_add_overflow (value, right, &result)
                    : __builtin_sub_overflow (value, right, &result))
        return expr_fail (e, "a sum is out of 64-bit range");
      value = result;
    }
}

gboolean
layer_dim_expr_value (const gchar *op, const gchar *property, const gchar *text, const guint *dims,
                      gint64 *value, GError **error)
{
  Expr e = { text, dims, NULL, 0 };
  *value = expr_sum (&e);
  expr_skip_spaces (&e);
  if (e.problem == NULL && *e.at != '\0')
    e.problem = "it has more after the value";
  if (e.problem != NULL)
    {
      g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_INVALID_ARGUMENT,
                   "%s: %s value '%s': %s", op, property, text, e.problem);
      return FALSE;
    }
  return TRUE;
}

GStrv
layer_split_list (const gchar *text)
{
  GStrv parts = g_strsplit (text ? text : "", ",", -1);
  for (guint i = 0; parts[i] != NULL; i++)
    g_strstrip (parts[i]);
  if (parts[0] != NULL && parts[1] == NULL && *parts[0] == '\0')
    {
      g_free (parts[0]);
      parts[0] = NULL;
    }
  return parts;
}

gboolean
layer_dim_expr_list (const gchar *op, const gchar *property, const gchar *text, guint min_count,
                     guint max_count, const guint *dims, gint64 values[4], GError **error)
{
  g_auto (GStrv) parts = layer_split_list (text);
  guint n = g_strv_length (parts);
  if (n < min_count || n > max_count)
    {
      g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_INVALID_ARGUMENT,
                   min_count == max_count ? "%s: %s '%s' must give %u sizes, one per dim"
                                          : "%s: %s '%s' must give %u to %u sizes",
                   op, property, text ? text : "", min_count, max_count);
      return FALSE;
    }
  for (guint i = 0; i < 4; i++)
    {
      values[i] = 1;
      if (i < n && !layer_dim_expr_value (op, property, parts[i], dims, &values[i], error))
        return FALSE;
    }
  return TRUE;
}
