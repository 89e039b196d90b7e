/* cnnfilt-onnx-mapping.c: ONNX attributes and inputs as an op's properties
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * How a node's inputs and attributes map onto the op's properties is read
 * from the op class (onnx_inputs, onnx_attributes, documented in
 * cnnfilt-op.h): data inputs become the graph's edges, constant inputs and
 * attributes are checked against the mapping and set as properties,
 * range-checked, with the mapping's defaults for attributes left out.
 */
#include "cnnfilt-onnx-private.h"

#include <math.h>
#include <string.h>

/* What an attribute, or an input mapped to an attribute, carries. */
typedef enum { ARG_NUMBERS, ARG_STRING, ARG_TENSOR } ArgKind;

typedef struct {
  ArgKind kind;
  GArray *numbers;                 /* Number */
  gchar *string;
  const Onnx__TensorProto *tensor;
  gchar *source;                   /* "attribute 'pads'", "input 1 ('pads')" */
} Arg;

/* One entry of CnnfiltOpClass.onnx_attributes: NAME[=DEFAULT]:TARGETS. */
typedef struct {
  gchar *name;
  gchar *default_text; /* NULL when there is none */
  GStrv targets;       /* without the "..." */
  gboolean open;       /* TARGETS ended in "...": fewer values are fine */
  Arg *arg;            /* what the node gives, or NULL */
} Mapping;

static void
arg_free (Arg *arg)
{
  if (arg == NULL)
    return;
  if (arg->numbers)
    g_array_unref (arg->numbers);
  g_free (arg->string);
  g_free (arg->source);
  g_free (arg);
}

static void
mapping_free (gpointer data)
{
  Mapping *mapping = data;
  g_free (mapping->name);
  g_free (mapping->default_text);
  g_strfreev (mapping->targets);
  arg_free (mapping->arg);
  g_free (mapping);
}

static GStrv
split_words (const gchar *text)
{
  GStrv parts = g_strsplit_set (text ? text : "", " \t\n", -1);
  guint kept = 0;
  for (guint i = 0; parts[i] != NULL; i++)
    if (*parts[i] != '\0')
      parts[kept++] = parts[i];
    else
      g_free (parts[i]);
  parts[kept] = NULL;
  return parts;
}

/* Whether OPSETS of a mapping entry ("6", "1-6", "-6", "7-") hold
 * @opset; FALSE with @error when it is malformed. */
static gboolean
opsets_contain (NodeCtx *ctx, const gchar *opsets, gboolean *contains, GError **error)
{
  const gchar *dash = strchr (opsets, '-');
  gint64 first = 0, last = G_MAXINT64;
  g_autofree gchar *low = dash ? g_strndup (opsets, dash - opsets) : g_strdup (opsets);
  const gchar *high = dash ? dash + 1 : opsets;
  if ((*low == '\0' && *high == '\0') ||
      (*low != '\0' && !g_ascii_string_to_signed (low, 10, 1, G_MAXINT64, &first, NULL)) ||
      (*high != '\0' && !g_ascii_string_to_signed (high, 10, 1, G_MAXINT64, &last, NULL)))
    {
      node_error (error, ctx, CNNFILT_ERROR_PLUGIN,
                  "op %s: malformed opsets '@%s' in its ONNX mapping (FIRST-LAST, -LAST, "
                  "FIRST- or one opset)", cnnfilt_op_get_name (ctx->op), opsets);
      return FALSE;
    }
  *contains = first <= ctx->imp->opset && ctx->imp->opset <= last;
  return TRUE;
}

/* Parses CnnfiltOpClass.onnx_attributes, keeping the entries that apply
 * at the model's opset. */
static GPtrArray *
parse_mappings (NodeCtx *ctx, const gchar *text, GError **error)
{
  g_autoptr (GPtrArray) mappings = g_ptr_array_new_with_free_func (mapping_free);
  g_auto (GStrv) entries = split_words (text);
  for (guint i = 0; entries[i] != NULL; i++)
    {
      const gchar *colon = strchr (entries[i], ':');
      if (colon == NULL || colon == entries[i])
        {
          node_error (error, ctx, CNNFILT_ERROR_PLUGIN,
                      "op %s: malformed onnx_attributes entry '%s' "
                      "(NAME[@OPSETS][=DEFAULT]:TARGETS)", cnnfilt_op_get_name (ctx->op),
                      entries[i]);
          return NULL;
        }
      g_autofree gchar *head = g_strndup (entries[i], colon - entries[i]);
      const gchar *equals = strchr (head, '=');
      g_autofree gchar *name = equals ? g_strndup (head, equals - head) : g_strdup (head);
      gchar *at = strchr (name, '@');
      if (at != NULL)
        {
          gboolean applies = FALSE;
          *at = '\0';
          if (!opsets_contain (ctx, at + 1, &applies, error))
            return NULL;
          if (!applies)
            continue;
        }
      if (*name == '\0' && equals == NULL)
        {
          node_error (error, ctx, CNNFILT_ERROR_PLUGIN,
                      "op %s: onnx_attributes entry '%s' has neither a name nor a default",
                      cnnfilt_op_get_name (ctx->op), entries[i]);
          return NULL;
        }
      Mapping *mapping = g_new0 (Mapping, 1);
      g_ptr_array_add (mappings, mapping);
      mapping->name = g_steal_pointer (&name);
      mapping->default_text = equals ? g_strdup (equals + 1) : NULL;
      GStrv targets = *(colon + 1) ? g_strsplit (colon + 1, ",", -1) : g_new0 (gchar *, 1);
      guint n = g_strv_length (targets);
      if (n > 0 && g_str_has_suffix (targets[n - 1], "..."))
        {
          mapping->open = TRUE;
          targets[n - 1][strlen (targets[n - 1]) - 3] = '\0';
          if (*targets[n - 1] == '\0')
            {
              g_free (targets[n - 1]);
              targets[n - 1] = NULL;
            }
        }
      mapping->targets = targets;
    }
  return g_steal_pointer (&mappings);
}

static Mapping *
find_mapping (GPtrArray *mappings, const gchar *name)
{
  for (guint i = 0; i < mappings->len; i++)
    if (g_str_equal (((Mapping *) mappings->pdata[i])->name, name))
      return mappings->pdata[i];
  return NULL;
}

static gboolean
parse_target_number (const gchar *text, gdouble *number)
{
  gchar *end = NULL;
  *number = g_ascii_strtod (text, &end);
  return *text != '\0' && end != NULL && *end == '\0';
}

/* A target `PROPERTY[K]`: *@property (to free) and *@dim. */
static gboolean
parse_target_dim (const gchar *text, gchar **property, guint *dim)
{
  const gchar *open = strchr (text, '[');
  gsize length = strlen (text);
  if (open == NULL || open == text || length < 3 || text[length - 1] != ']' ||
      open + 2 != text + length - 1 || open[1] < '0' || open[1] > '3')
    return FALSE;
  *property = g_strndup (text, open - text);
  *dim = open[1] - '0';
  return TRUE;
}

/* An enum nick from an ONNX string: "SAME_UPPER" -> "same-upper". */
static gchar *
enum_nick (const gchar *text)
{
  gchar *nick = g_ascii_strdown (text, -1);
  g_strdelimit (nick, "_", '-');
  return nick;
}

static gboolean
is_tensor_property (GParamSpec *spec)
{
  return g_type_is_a (G_PARAM_SPEC_VALUE_TYPE (spec), CNNFILT_TYPE_TENSOR);
}

static GParamSpec *
find_property (NodeCtx *ctx, const gchar *name, const gchar *mapping, GError **error)
{
  GParamSpec *spec = g_object_class_find_property (G_OBJECT_GET_CLASS (ctx->op), name);
  if (spec == NULL || !(spec->flags & G_PARAM_WRITABLE))
    node_error (error, ctx, CNNFILT_ERROR_PLUGIN,
                "op %s maps %s to '%s', which is not a writable property of the op",
                cnnfilt_op_get_name (ctx->op), mapping, name);
  return spec && (spec->flags & G_PARAM_WRITABLE) ? spec : NULL;
}

/* Sets a number property from one value, range-checked. Float properties
 * take infinities (Clip's open bounds), the rest go through the parser's
 * checks and messages. */
static gboolean
set_number (NodeCtx *ctx, GParamSpec *spec, const Number *number, const gchar *source,
            GError **error)
{
  GType type = G_PARAM_SPEC_VALUE_TYPE (spec);
  GType fundamental = G_TYPE_FUNDAMENTAL (type);
  if (isnan (number->f))
    {
      node_error (error, ctx, CNNFILT_ERROR_INVALID_ARGUMENT, "%s: NaN for property '%s'", source,
                  spec->name);
      return FALSE;
    }
  if (fundamental == G_TYPE_FLOAT || fundamental == G_TYPE_DOUBLE)
    {
      gdouble minimum = fundamental == G_TYPE_FLOAT ? G_PARAM_SPEC_FLOAT (spec)->minimum
                                                    : G_PARAM_SPEC_DOUBLE (spec)->minimum;
      gdouble maximum = fundamental == G_TYPE_FLOAT ? G_PARAM_SPEC_FLOAT (spec)->maximum
                                                    : G_PARAM_SPEC_DOUBLE (spec)->maximum;
      gdouble v = number->f;
      /* Float properties hold float32 values: compare in float32, so that
       * a FLT_MAX bound given as a double is not out of range. */
      if (fundamental == G_TYPE_FLOAT && fabs (v) <= G_MAXFLOAT)
        v = (gfloat) v;
      if (v < minimum || v > maximum || (fundamental == G_TYPE_FLOAT && isfinite (v) &&
                                         fabs (v) > G_MAXFLOAT))
        {
          node_error (error, ctx, CNNFILT_ERROR_UNSUPPORTED,
                      "%s: %g is out of range for property '%s' (%g to %g)", source, v,
                      spec->name, minimum, maximum);
          return FALSE;
        }
      g_auto (GValue) value = G_VALUE_INIT;
      g_value_init (&value, type);
      if (fundamental == G_TYPE_FLOAT)
        g_value_set_float (&value, v);
      else
        g_value_set_double (&value, v);
      g_object_set_property (G_OBJECT (ctx->op), spec->name, &value);
      return TRUE;
    }
  if (!number->is_int && !(fabs (number->f) < 0x1p62))
    {
      node_error (error, ctx, CNNFILT_ERROR_UNSUPPORTED, "%s: %g is out of range for property '%s'",
                  source, number->f, spec->name);
      return FALSE;
    }
  if (!number->is_int && number->f != floor (number->f))
    {
      node_error (error, ctx, CNNFILT_ERROR_UNSUPPORTED,
                  "%s: %g is not a whole number, as property '%s' needs", source, number->f,
                  spec->name);
      return FALSE;
    }
  gint64 integer = number->is_int ? number->i : (gint64) number->f;
  g_autofree gchar *text = g_strdup_printf ("%" G_GINT64_FORMAT, integer);
  if (!cnnfilt_op_set_property_from_string (ctx->op, spec->name, text, error))
    {
      g_prefix_error (error, "%s: ", source);
      node_prefix_error (error, ctx);
      return FALSE;
    }
  return TRUE;
}

/* Sets a tensor property, the tensor's dims first aligned to @align_rank
 * with leading 1s (-1: as they are). */
static gboolean
set_tensor (NodeCtx *ctx, GParamSpec *spec, const Onnx__TensorProto *tensor, gint align_rank,
            const gchar *source, GError **error)
{
  g_autoptr (CnnfiltTensor) value = tensor_to_cnnfilt (ctx->imp, tensor, align_rank, source, error);
  if (value == NULL)
    {
      node_prefix_error (error, ctx);
      return FALSE;
    }
  g_object_set (ctx->op, spec->name, value, NULL);
  return TRUE;
}

/* numpy-style negative axes (of `axis` and `axes`) count from the end of
 * the ONNX rank. */
static gboolean
resolve_axis (NodeCtx *ctx, const Mapping *mapping, const Arg *arg, Number *number,
              GError **error)
{
  if (!(g_str_equal (mapping->name, "axis") || g_str_equal (mapping->name, "axes")) ||
      !number->is_int || number->i >= 0)
    return TRUE;
  if (ctx->first_rank < 0)
    {
      node_error (error, ctx, CNNFILT_ERROR_UNSUPPORTED,
                  "%s is negative and the input's rank is unknown", arg->source);
      return FALSE;
    }
  number->i += ctx->first_rank;
  number->f = number->i;
  return TRUE;
}

/* A target PROPERTY[K]: value @i (of @n) must equal dim K of the tensor
 * property, which an input set before the attributes are applied. */
static gboolean
check_restated (NodeCtx *ctx, const Arg *arg, guint i, guint n, const gchar *property,
                guint dim, const Number *number, GError **error)
{
  GParamSpec *spec = find_property (ctx, property, arg->source, error);
  if (spec == NULL)
    return FALSE;
  g_autoptr (CnnfiltTensor) tensor = NULL;
  if (is_tensor_property (spec))
    g_object_get (ctx->op, spec->name, &tensor, NULL);
  g_autofree gchar *where = n > 1 ? g_strdup_printf (" value %u", i) : g_strdup ("");
  if (tensor == NULL)
    {
      node_error (error, ctx, CNNFILT_ERROR_UNSUPPORTED,
                  "%s restates the %s, which no input gives", arg->source, spec->name);
      return FALSE;
    }
  CnnfiltShape shape;
  cnnfilt_tensor_get_shape (tensor, &shape);
  const guint dims[4] = { shape.n, shape.c, shape.h, shape.w };
  if (number->f != dims[dim])
    {
      node_error (error, ctx, CNNFILT_ERROR_INVALID_ARGUMENT,
                  "%s%s is %.17g, but the %s say %u (their dim %u)", arg->source, where,
                  number->is_int ? (gdouble) number->i : number->f, spec->name, dims[dim], dim);
      return FALSE;
    }
  return TRUE;
}

/* A list of numbers set as one string property: the values joined by
 * commas, negative axes resolved. */
static gboolean
set_list (NodeCtx *ctx, const Mapping *mapping, const Arg *arg, GParamSpec *spec,
          GError **error)
{
  g_autoptr (GString) text = g_string_new (NULL);
  for (guint i = 0; i < arg->numbers->len; i++)
    {
      Number number = g_array_index (arg->numbers, Number, i);
      if (!resolve_axis (ctx, mapping, arg, &number, error))
        return FALSE;
      gchar buffer[G_ASCII_DTOSTR_BUF_SIZE];
      if (number.is_int)
        g_string_append_printf (text, "%s%" G_GINT64_FORMAT, i ? "," : "", number.i);
      else
        g_string_append_printf (text, "%s%s", i ? "," : "",
                                g_ascii_dtostr (buffer, sizeof buffer, number.f));
    }
  if (!cnnfilt_op_set_property_from_string (ctx->op, spec->name, text->str, error))
    {
      g_prefix_error (error, "%s: ", arg->source);
      node_prefix_error (error, ctx);
      return FALSE;
    }
  return TRUE;
}

/* Applies what the node gives for one mapping entry to the op. */
static gboolean
apply_mapping (NodeCtx *ctx, Mapping *mapping, Arg *arg, GError **error)
{
  guint n_targets = g_strv_length (mapping->targets);
  if (n_targets == 0)
    return TRUE; /* accepted and ignored */

  if (arg->kind == ARG_STRING)
    {
      GParamSpec *spec = NULL;
      gdouble must = 0;
      if (n_targets != 1 || parse_target_number (mapping->targets[0], &must))
        {
          node_error (error, ctx, CNNFILT_ERROR_UNSUPPORTED, "%s: '%s' is not supported",
                      arg->source, arg->string);
          return FALSE;
        }
      if ((spec = find_property (ctx, mapping->targets[0], mapping->name, error)) == NULL)
        return FALSE;
      g_autofree gchar *text = G_TYPE_IS_ENUM (G_PARAM_SPEC_VALUE_TYPE (spec))
                                 ? enum_nick (arg->string) : g_strdup (arg->string);
      if (!cnnfilt_op_set_property_from_string (ctx->op, spec->name, text, error))
        {
          g_prefix_error (error, "%s: ", arg->source);
          node_prefix_error (error, ctx);
          return FALSE;
        }
      return TRUE;
    }

  if (arg->kind == ARG_TENSOR && n_targets == 1 &&
      !parse_target_number (mapping->targets[0], &(gdouble) { 0 }))
    {
      GParamSpec *spec = find_property (ctx, mapping->targets[0], mapping->name, error);
      if (spec == NULL)
        return FALSE;
      if (is_tensor_property (spec))
        return set_tensor (ctx, spec, arg->tensor, -1, arg->source, error);
    }
  if (arg->kind == ARG_TENSOR && arg->numbers == NULL)
    arg->numbers = tensor_numbers (ctx->imp, arg->tensor);

  /* one property, not a value to match: a string property takes a list */
  if (n_targets == 1 && !parse_target_number (mapping->targets[0], &(gdouble) { 0 }) &&
      strchr (mapping->targets[0], '[') == NULL)
    {
      GParamSpec *spec = find_property (ctx, mapping->targets[0], mapping->name, error);
      if (spec == NULL)
        return FALSE;
      if (G_PARAM_SPEC_VALUE_TYPE (spec) == G_TYPE_STRING)
        return set_list (ctx, mapping, arg, spec, error);
    }

  guint n = arg->numbers->len;
  if (n > n_targets || (n < n_targets && !mapping->open))
    {
      node_error (error, ctx, CNNFILT_ERROR_UNSUPPORTED,
                  "%s has %u value%s; %s%u supported", arg->source, n, n == 1 ? "" : "s",
                  mapping->open ? "at most " : "", n_targets);
      return FALSE;
    }
  for (guint i = 0; i < n; i++)
    {
      Number number = g_array_index (arg->numbers, Number, i);
      const gchar *target = mapping->targets[i];
      gdouble must = 0;
      if (parse_target_number (target, &must))
        {
          if (number.f != must)
            {
              g_autofree gchar *where = n > 1 ? g_strdup_printf (" value %u", i) : g_strdup ("");
              node_error (error, ctx, CNNFILT_ERROR_UNSUPPORTED,
                          "%s%s is %g; only %g is supported", arg->source, where, number.f, must);
              return FALSE;
            }
          continue;
        }
      if (*target == '\0')
        continue;
      g_autofree gchar *restated = NULL;
      guint dim = 0;
      if (parse_target_dim (target, &restated, &dim))
        {
          if (!check_restated (ctx, arg, i, n, restated, dim, &number, error))
            return FALSE;
          continue;
        }
      if (!resolve_axis (ctx, mapping, arg, &number, error))
        return FALSE;
      GParamSpec *spec = find_property (ctx, target, mapping->name, error);
      if (spec == NULL)
        return FALSE;
      if (is_tensor_property (spec))
        {
          node_error (error, ctx, CNNFILT_ERROR_UNSUPPORTED,
                      "%s: a tensor is needed for property '%s'", arg->source, spec->name);
          return FALSE;
        }
      if (!set_number (ctx, spec, &number, arg->source, error))
        return FALSE;
    }
  return TRUE;
}

/* An Arg from a DEFAULT of the mapping: numbers, or one string; RANK is
 * @data_rank, the rank of the node's data inputs. NULL with @error where
 * that rank is not known. */
static Arg *
default_arg (NodeCtx *ctx, const Mapping *mapping, gint data_rank, GError **error)
{
  g_autofree gchar *text = NULL;
  if (g_str_equal (mapping->default_text, "RANK"))
    {
      if (data_rank < 0)
        {
          node_error (error, ctx, CNNFILT_ERROR_UNSUPPORTED,
                      "the rank of its inputs is not known, and the op needs it");
          return NULL;
        }
      text = g_strdup_printf ("%d", data_rank);
    }
  else
    text = g_strdup (mapping->default_text);
  Arg *arg = g_new0 (Arg, 1);
  arg->source = *mapping->name ? g_strdup_printf ("attribute '%s' (default %s)", mapping->name,
                                                  mapping->default_text)
                               : g_strdup_printf ("the rank of its inputs (%s)", text);
  g_auto (GStrv) parts = g_strsplit (text, ",", -1);
  arg->kind = ARG_NUMBERS;
  arg->numbers = g_array_new (FALSE, TRUE, sizeof (Number));
  for (guint i = 0; parts[i] != NULL; i++)
    {
      gchar *end = NULL;
      Number number = { FALSE, 0, 0 };
      if (g_ascii_string_to_signed (parts[i], 10, G_MININT64, G_MAXINT64, &number.i, NULL))
        {
          number.is_int = TRUE;
          number.f = number.i;
        }
      else
        {
          number.f = g_ascii_strtod (parts[i], &end);
          if (*parts[i] == '\0' || end == NULL || *end != '\0')
            {
              /* not a number: a string such as an enum value */
              g_array_set_size (arg->numbers, 0);
              arg->kind = ARG_STRING;
              arg->string = g_steal_pointer (&text);
              return arg;
            }
        }
      g_array_append_val (arg->numbers, number);
    }
  return arg;
}

static Arg *
attribute_arg (NodeCtx *ctx, const Onnx__AttributeProto *attribute, GError **error)
{
  g_autofree gchar *source = g_strdup_printf ("attribute '%s'", nonnull (attribute->name));
  if (attribute->ref_attr_name != NULL && *attribute->ref_attr_name != '\0')
    {
      node_error (error, ctx, CNNFILT_ERROR_FORMAT,
                  "%s refers to a function attribute, outside a function", source);
      return NULL;
    }
  Arg *arg = g_new0 (Arg, 1);
  arg->source = g_steal_pointer (&source);
  arg->kind = ARG_NUMBERS;
  switch (attribute->type)
    {
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT:
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT:
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS:
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS:
      {
        gboolean ints = attribute->type == ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT ||
                        attribute->type == ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS;
        gboolean list = attribute->type == ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS ||
                        attribute->type == ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS;
        if (!list && !(ints ? attribute->has_i : attribute->has_f))
          {
            node_error (error, ctx, CNNFILT_ERROR_FORMAT, "%s has no value", arg->source);
            arg_free (arg);
            return NULL;
          }
        gsize n = !list ? 1 : ints ? attribute->n_ints : attribute->n_floats;
        arg->numbers = g_array_sized_new (FALSE, TRUE, sizeof (Number), n);
        for (gsize i = 0; i < n; i++)
          {
            Number number = { ints, 0, 0 };
            if (ints)
              number.f = number.i = list ? attribute->ints[i] : attribute->i;
            else
              number.f = list ? attribute->floats[i] : attribute->f;
            g_array_append_val (arg->numbers, number);
          }
        return arg;
      }
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING:
      if (!attribute->has_s)
        {
          node_error (error, ctx, CNNFILT_ERROR_FORMAT, "%s has no value", arg->source);
          arg_free (arg);
          return NULL;
        }
      arg->kind = ARG_STRING;
      arg->string = attribute->s.data ? g_strndup ((const gchar *) attribute->s.data, attribute->s.len)
                                      : g_strdup ("");
      return arg;
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR:
      if (attribute->t == NULL || !check_tensor (ctx->imp, attribute->t, arg->source, error))
        {
          if (attribute->t == NULL)
            node_error (error, ctx, CNNFILT_ERROR_FORMAT, "%s has no tensor", arg->source);
          else
            node_prefix_error (error, ctx);
          arg_free (arg);
          return NULL;
        }
      arg->kind = ARG_TENSOR;
      arg->tensor = attribute->t;
      return arg;
    default:
      node_error (error, ctx, CNNFILT_ERROR_UNSUPPORTED,
                  "%s: attributes of type %d (graphs, sparse tensors, string lists, types) "
                  "are not supported", arg->source, attribute->type);
      arg_free (arg);
      return NULL;
    }
}

/* ---- A node's inputs and attributes ------------------------------------- */

/* What each input of the node is to the op: "-" for data, else the name of
 * an attribute or property the constant input sets (onnx_inputs); of
 * alternatives (A@OPSETS|B), the first that applies at the model's opset,
 * "" where none does. NULL with @error for a malformed entry. */
static GStrv
input_entries (NodeCtx *ctx, CnnfiltOpClass *klass, const Onnx__NodeProto *proto,
               GError **error)
{
  if (klass->onnx_inputs != NULL)
    {
      g_auto (GStrv) entries = split_words (klass->onnx_inputs);
      for (guint i = 0; entries[i] != NULL; i++)
        {
          g_auto (GStrv) alternatives = g_strsplit (entries[i], "|", -1);
          gchar *chosen = NULL;
          for (guint k = 0; alternatives[k] != NULL && chosen == NULL; k++)
            {
              gchar *at = strchr (alternatives[k], '@');
              gboolean applies = TRUE;
              if (at != NULL)
                {
                  *at = '\0';
                  if (!opsets_contain (ctx, at + 1, &applies, error))
                    return NULL;
                }
              if (applies)
                chosen = g_strdup (alternatives[k]);
            }
          g_free (entries[i]);
          entries[i] = chosen != NULL ? chosen : g_strdup ("");
        }
      return g_steal_pointer (&entries);
    }
  /* as many data inputs as the op takes; any number for n_inputs 0 */
  guint n = klass->n_inputs == 0 ? MAX (proto->n_input, 1) : klass->n_inputs;
  GStrv entries = g_new0 (gchar *, n + 1);
  for (guint i = 0; i < n; i++)
    entries[i] = g_strdup ("-");
  return entries;
}

/* Input @i, a shape folded at import that holds sizes known only when the
 * graph runs, given to a string property (directly or through the
 * attribute @entry names): set as text, those sizes as expressions of the
 * dims of the node's first input (shape_text), which the op evaluates
 * when it knows them (slice's bounds from PyTorch's chunk). *@taken stays
 * FALSE where the entry is not such a property. */
static gboolean
map_folded_input (NodeCtx *ctx, gsize i, const gchar *entry, GPtrArray *mappings,
                  const Value *value, gboolean *taken, GError **error)
{
  Mapping *mapping = find_mapping (mappings, entry);
  const gchar *property = mapping == NULL ? entry
                          : g_strv_length (mapping->targets) == 1 && !mapping->open
                          ? mapping->targets[0] : NULL;
  GParamSpec *spec = property ? g_object_class_find_property (G_OBJECT_GET_CLASS (ctx->op),
                                                              property) : NULL;
  if (spec == NULL || G_PARAM_SPEC_VALUE_TYPE (spec) != G_TYPE_STRING)
    return TRUE;
  const gchar *name = ctx->proto->input[i];
  g_autofree gchar *source = g_strdup_printf ("input %" G_GSIZE_FORMAT " ('%s')", i, name);
  g_autofree gchar *text = shape_text (ctx, value, g_hash_table_lookup (ctx->imp->values,
                                                                        ctx->proto->input[0]),
                                       source, error);
  if (text == NULL)
    return FALSE;
  *taken = TRUE;
  if (mapping == NULL)
    {
      if (!cnnfilt_op_set_property_from_string (ctx->op, spec->name, text, error))
        {
          g_prefix_error (error, "%s: ", source);
          node_prefix_error (error, ctx);
          return FALSE;
        }
      return TRUE;
    }
  if (mapping->arg != NULL)
    {
      node_error (error, ctx, CNNFILT_ERROR_FORMAT, "%s and %s both set '%s'",
                  mapping->arg->source, source, entry);
      return FALSE;
    }
  mapping->arg = g_new0 (Arg, 1);
  mapping->arg->kind = ARG_STRING;
  mapping->arg->string = g_steal_pointer (&text);
  mapping->arg->source = g_steal_pointer (&source);
  return TRUE;
}

/* Input @i, a constant, applied as the attribute @entry names or set as
 * the property it names; a trailing "^" aligns a tensor to the rank of the
 * first input. */
static gboolean
map_constant_input (NodeCtx *ctx, gsize i, const gchar *entry, GPtrArray *mappings,
                    gint *shape_length, GError **error)
{
  Importer *imp = ctx->imp;
  const Onnx__NodeProto *proto = ctx->proto;
  const gchar *name = proto->input[i];
  Value *value = g_hash_table_lookup (imp->values, name);
  const Onnx__TensorProto *constant = value->constant;
  if (constant == NULL && value->folded != NULL && g_str_equal (nonnull (proto->op_type), "Reshape") &&
      g_str_equal (entry, "shape") && proto->n_input > 0)
    {
      constant = reshape_target (ctx, value, g_hash_table_lookup (imp->values, proto->input[0]),
                                 error);
      if (constant == NULL)
        return FALSE;
    }
  if (constant == NULL && value->folded != NULL && proto->n_input > 0)
    {
      gboolean taken = FALSE;
      if (!map_folded_input (ctx, i, entry, mappings, value, &taken, error))
        return FALSE;
      if (taken)
        return TRUE;
    }
  if (constant == NULL)
    {
      node_error (error, ctx, CNNFILT_ERROR_UNSUPPORTED,
                  "input %" G_GSIZE_FORMAT " ('%s') must be a constant (an initializer "
                  "or a Constant node), not computed", i, name);
      return FALSE;
    }
  /* KEY, KEY^ (numpy alignment) or KEY^AXIS (its dims from that axis on) */
  g_autofree gchar *key = g_strdup (entry);
  gchar *caret = strchr (key, '^');
  gint align_rank = -1;
  if (caret != NULL)
    {
      guint64 axis = 0;
      if (caret[1] != '\0' && !g_ascii_string_to_unsigned (caret + 1, 10, 0, MAX_RANK - 1, &axis, NULL))
        {
          node_error (error, ctx, CNNFILT_ERROR_PLUGIN,
                      "op %s: malformed onnx_inputs entry '%s' (NAME, NAME^ or NAME^AXIS)",
                      cnnfilt_op_get_name (ctx->op), entry);
          return FALSE;
        }
      align_rank = caret[1] == '\0' ? ctx->first_rank : (gint) (axis + constant->n_dims);
      *caret = '\0';
    }
  g_autofree gchar *source = g_strdup_printf ("input %" G_GSIZE_FORMAT " ('%s')", i, name);
  Mapping *mapping = find_mapping (mappings, key);
  if (mapping != NULL)
    {
      if (mapping->arg != NULL)
        {
          node_error (error, ctx, CNNFILT_ERROR_FORMAT, "%s and %s both set '%s'",
                      mapping->arg->source, source, key);
          return FALSE;
        }
      mapping->arg = g_new0 (Arg, 1);
      mapping->arg->kind = ARG_TENSOR;
      mapping->arg->tensor = constant;
      mapping->arg->source = g_steal_pointer (&source);
      if (g_str_equal (key, "shape"))
        *shape_length = tensor_n_elements (constant);
      return TRUE;
    }
  GParamSpec *spec = find_property (ctx, key, "an input", error);
  if (spec == NULL)
    return FALSE;
  if (is_tensor_property (spec))
    return set_tensor (ctx, spec, constant, align_rank, source, error);
  g_autoptr (GArray) numbers = tensor_numbers (imp, constant);
  if (numbers->len != 1)
    {
      node_error (error, ctx, CNNFILT_ERROR_UNSUPPORTED,
                  "%s has %u values; property '%s' takes one", source, numbers->len,
                  spec->name);
      return FALSE;
    }
  return set_number (ctx, spec, &g_array_index (numbers, Number, 0), source, error);
}

/* Inputs: data inputs are edges; the others are constants applied as an
 * attribute or set as a property. */
static gboolean
map_inputs (NodeCtx *ctx, GStrv entries, GPtrArray *mappings, GPtrArray *data_names,
            gint *shape_length, GError **error)
{
  const Onnx__NodeProto *proto = ctx->proto;
  guint n_entries = g_strv_length (entries);
  for (gsize i = 0; i < proto->n_input; i++)
    {
      const gchar *name = proto->input[i];
      if (*name == '\0')
        continue; /* an optional input left out */
      if (i >= n_entries || *entries[i] == '\0')
        {
          node_error (error, ctx, CNNFILT_ERROR_UNSUPPORTED,
                      "input %" G_GSIZE_FORMAT " ('%s') is not supported (the op takes %u%s)",
                      i, name, i < n_entries ? (guint) i : n_entries,
                      i < n_entries ? " at this opset" : "");
          return FALSE;
        }
      if (g_str_equal (entries[i], "-"))
        g_ptr_array_add (data_names, (gpointer) name);
      else if (!map_constant_input (ctx, i, entries[i], mappings, shape_length, error))
        return FALSE;
    }
  return TRUE;
}

/* Attributes, each to the mapping entry of its name. */
static gboolean
map_attributes (NodeCtx *ctx, GPtrArray *mappings, gint *shape_length, GError **error)
{
  const Onnx__NodeProto *proto = ctx->proto;
  for (gsize i = 0; i < proto->n_attribute; i++)
    {
      const gchar *name = nonnull (proto->attribute[i]->name);
      Mapping *mapping = *name != '\0' ? find_mapping (mappings, name) : NULL;
      if (mapping == NULL)
        {
          node_error (error, ctx, CNNFILT_ERROR_UNSUPPORTED, "attribute '%s' is not supported",
                      name);
          return FALSE;
        }
      if (mapping->arg != NULL)
        {
          node_error (error, ctx, CNNFILT_ERROR_FORMAT, "%s and attribute '%s' both set '%s'",
                      mapping->arg->source, name, name);
          return FALSE;
        }
      if ((mapping->arg = attribute_arg (ctx, proto->attribute[i], error)) == NULL)
        return FALSE;
      if (g_str_equal (name, "shape") && mapping->arg->numbers != NULL)
        *shape_length = mapping->arg->numbers->len;
    }
  return TRUE;
}

gboolean
map_node_to_op (NodeCtx *ctx, GPtrArray *data_names, gint *shape_length, GError **error)
{
  CnnfiltOpClass *klass = CNNFILT_OP_GET_CLASS (ctx->op);
  g_auto (GStrv) entries = input_entries (ctx, klass, ctx->proto, error);
  if (entries == NULL)
    return FALSE;
  g_autoptr (GPtrArray) mappings = parse_mappings (ctx, klass->onnx_attributes, error);
  if (mappings == NULL)
    return FALSE;
  if (!map_inputs (ctx, entries, mappings, data_names, shape_length, error) ||
      !map_attributes (ctx, mappings, shape_length, error))
    return FALSE;
  /* then the defaults of the attributes the node leaves out, and the
   * entries without a name */
  gint data_rank = -1;
  for (guint i = 0; i < data_names->len; i++)
    {
      Value *value = g_hash_table_lookup (ctx->imp->values, data_names->pdata[i]);
      if (value->rank < 0)
        {
          data_rank = -1;
          break;
        }
      data_rank = MAX (data_rank, value->rank);
    }
  for (guint i = 0; i < mappings->len; i++)
    {
      Mapping *mapping = mappings->pdata[i];
      if (mapping->arg == NULL && mapping->default_text != NULL &&
          (mapping->arg = default_arg (ctx, mapping, data_rank, error)) == NULL)
        return FALSE;
      if (mapping->arg != NULL && !apply_mapping (ctx, mapping, mapping->arg, error))
        return FALSE;
    }
  return TRUE;
}
