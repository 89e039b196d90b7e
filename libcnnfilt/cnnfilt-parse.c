/* cnnfilt-parse.c: pipeline text to graph
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include "cnnfilt-parse.h"
#include "cnnfilt-error.h"
#include "cnnfilt-registry.h"

#include <string.h>

typedef struct {
  const gchar *text;
  const gchar *at;
} Scanner;

static gsize
column (Scanner *s, const gchar *at)
{
  return (gsize) (at - s->text) + 1;
}

static void
skip_space (Scanner *s)
{
  while (g_ascii_isspace (*s->at))
    s->at++;
}

static gboolean
is_word_end (gchar c)
{
  return c == '\0' || c == '!' || c == '=' || g_ascii_isspace (c);
}

/* A bare word, or a value in single or double quotes. */
static gchar *
scan_word (Scanner *s, gboolean allow_quotes, GError **error)
{
  const gchar *start = s->at;
  if (allow_quotes && (*start == '"' || *start == '\''))
    {
      const gchar *end = strchr (start + 1, *start);
      if (end == NULL)
        {
          g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_INVALID_ARGUMENT,
                       "position %" G_GSIZE_FORMAT ": unterminated %c quote",
                       column (s, start), *start);
          return NULL;
        }
      s->at = end + 1;
      return g_strndup (start + 1, end - start - 1);
    }
  /* Values may contain '=' (none of ours do, but strings might); names may not. */
  while (*s->at != '\0' && *s->at != '!' && !g_ascii_isspace (*s->at) &&
         (allow_quotes || *s->at != '='))
    s->at++;
  return g_strndup (start, s->at - start);
}

static gboolean
is_name (const gchar *word)
{
  if (!g_ascii_isalpha (word[0]))
    return FALSE;
  for (const gchar *c = word; *c; c++)
    if (!g_ascii_isalnum (*c) && *c != '-' && *c != '_')
      return FALSE;
  return TRUE;
}

/* Parses "op key=value ..." up to the next '!' or the end. */
static CnnfiltOp *
parse_element (Scanner *s, GError **error)
{
  skip_space (s);
  const gchar *op_at = s->at;
  if (*op_at == '\0' || *op_at == '!')
    {
      g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_INVALID_ARGUMENT,
                   "position %" G_GSIZE_FORMAT ": expected an op name%s", column (s, op_at),
                   *op_at == '!' ? " before '!'" : "");
      return NULL;
    }
  g_autofree gchar *name = scan_word (s, FALSE, error);
  if (!is_name (name) || *s->at == '=')
    {
      g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_INVALID_ARGUMENT,
                   "position %" G_GSIZE_FORMAT ": expected an op name, found '%s%s'",
                   column (s, op_at), name, *s->at == '=' ? "=" : "");
      return NULL;
    }
  g_autoptr (CnnfiltOp) op = cnnfilt_op_new (name, error);
  if (op == NULL)
    {
      g_prefix_error (error, "position %" G_GSIZE_FORMAT ": ", column (s, op_at));
      return NULL;
    }

  for (;;)
    {
      skip_space (s);
      if (*s->at == '\0' || *s->at == '!')
        break;
      const gchar *key_at = s->at;
      g_autofree gchar *key = scan_word (s, FALSE, error);
      if (*s->at != '=' || !is_name (key))
        {
          g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_INVALID_ARGUMENT,
                       "position %" G_GSIZE_FORMAT ": %s: expected property=value, found '%s' "
                       "(ops are separated by '!')", column (s, key_at), name,
                       *key ? key : "=");
          return NULL;
        }
      s->at++; /* '=' */
      const gchar *value_at = s->at;
      g_autofree gchar *value = scan_word (s, TRUE, error);
      if (value == NULL)
        return NULL;
      if (*value == '\0' && is_word_end (*value_at))
        {
          g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_INVALID_ARGUMENT,
                       "position %" G_GSIZE_FORMAT ": %s: %s: missing value after '='",
                       column (s, value_at), name, key);
          return NULL;
        }
      if (!cnnfilt_op_set_property_from_string (op, key, value, error))
        {
          g_prefix_error (error, "position %" G_GSIZE_FORMAT ": ", column (s, key_at));
          return NULL;
        }
    }
  if (!cnnfilt_op_validate (op, error))
    {
      /* the op's own messages start with its name */
      g_prefix_error (error, "position %" G_GSIZE_FORMAT ": ", column (s, op_at));
      return NULL;
    }
  return g_steal_pointer (&op);
}

/**
 * cnnfilt_graph_new_from_string:
 * @pipeline: pipeline text: ops separated by `!`, each with optional
 *   `property=value` pairs, as in `grayscale ! sobel direction=x ! normalize`
 * @error: return location for a #GError
 *
 * Builds a chain from pipeline text. The graph has one input, `input`; its
 * nodes are named after their ops (`sobel`, then `sobel-2`, ...) and the
 * last is the output. Values may be quoted with `'` or `"`.
 *
 * Errors give the 1-based character position and name the op and property
 * at fault: `position 20: sobel: direction: invalid value 'z' (expected one
 * of: x, y, magnitude)`.
 *
 * Returns: (transfer full): the graph, or %NULL on a syntax error, an
 *   unknown op or property, or a bad value
 */
CnnfiltGraph *
cnnfilt_graph_new_from_string (const gchar *pipeline, GError **error)
{
  g_return_val_if_fail (pipeline != NULL, NULL);
  cnnfilt_init (NULL);

  Scanner scanner = { pipeline, pipeline };
  g_autoptr (CnnfiltGraph) graph = cnnfilt_graph_new ();
  g_autofree gchar *previous = g_strdup ("input");
  cnnfilt_graph_add_input (graph, previous, NULL);

  skip_space (&scanner);
  if (*scanner.at == '\0')
    {
      g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_INVALID_ARGUMENT,
                   "empty pipeline: give at least one op, as in 'grayscale ! sobel'");
      return NULL;
    }
  for (;;)
    {
      g_autoptr (CnnfiltOp) op = parse_element (&scanner, error);
      if (op == NULL)
        return NULL;
      const gchar *op_name = cnnfilt_op_get_name (op);
      g_autofree gchar *node = g_strdup (op_name);
      for (guint i = 2; cnnfilt_graph_get_op (graph, node) != NULL; i++)
        {
          g_free (node);
          node = g_strdup_printf ("%s-%u", op_name, i);
        }
      const gchar *inputs[] = { previous, NULL };
      if (!cnnfilt_graph_add_node (graph, node, op, inputs, error))
        return NULL;
      g_free (previous);
      previous = g_steal_pointer (&node);

      skip_space (&scanner);
      if (*scanner.at == '\0')
        break;
      scanner.at++; /* '!' */
    }
  return g_steal_pointer (&graph);
}
