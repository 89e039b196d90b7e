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

/* Parses CnnfiltOpClass.onnx_attributes. */
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
                      "op %s: malformed onnx_attributes entry '%s' (NAME[=DEFAULT]:TARGETS)",
                      cnnfilt_op_get_name (ctx->op), entries[i]);
          return NULL;
        }
      Mapping *mapping = g_new0 (Mapping, 1);
      g_ptr_array_add (mappings, mapping);
      g_autofree gchar *head = g_strndup (entries[i], colon - entries[i]);
      const gchar *equals = strchr (head, '=');
      mapping->name = equals ? g_strndup (head, equals - head) : g_strdup (head);
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

static gboolean
set_tensor (NodeCtx *ctx, GParamSpec *spec, const Onnx__TensorProto *tensor, gboolean align,
            const gchar *source, GError **error)
{
  g_autoptr (CnnfiltTensor) value = tensor_to_cnnfilt (ctx->imp, tensor, align ? ctx->first_rank : -1,
                                                       source, error);
  if (value == NULL)
    {
      node_prefix_error (error, ctx);
      return FALSE;
    }
  g_object_set (ctx->op, spec->name, value, NULL);
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
        return set_tensor (ctx, spec, arg->tensor, FALSE, arg->source, error);
    }
  if (arg->kind == ARG_TENSOR && arg->numbers == NULL)
    arg->numbers = tensor_numbers (ctx->imp, arg->tensor);

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
      if (g_str_equal (mapping->name, "axis") && number.is_int && number.i < 0)
        {
          /* numpy-style negative axes count from the end of the ONNX rank */
          if (ctx->first_rank < 0)
            {
              node_error (error, ctx, CNNFILT_ERROR_UNSUPPORTED,
                          "%s is negative and the input's rank is unknown", arg->source);
              return FALSE;
            }
          number.i += ctx->first_rank;
          number.f = number.i;
        }
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

/* An Arg from a DEFAULT of the mapping: numbers, or one string. */
static Arg *
default_arg (const Mapping *mapping)
{
  Arg *arg = g_new0 (Arg, 1);
  arg->source = g_strdup_printf ("attribute '%s' (default %s)", mapping->name, mapping->default_text);
  g_auto (GStrv) parts = g_strsplit (mapping->default_text, ",", -1);
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
              arg->string = g_strdup (mapping->default_text);
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
 * an attribute or property the constant input sets (onnx_inputs). */
static GStrv
input_entries (CnnfiltOpClass *klass, const Onnx__NodeProto *proto)
{
  if (klass->onnx_inputs != NULL)
    return split_words (klass->onnx_inputs);
  /* as many data inputs as the op takes; any number for n_inputs 0 */
  guint n = klass->n_inputs == 0 ? MAX (proto->n_input, 1) : klass->n_inputs;
  GStrv entries = g_new0 (gchar *, n + 1);
  for (guint i = 0; i < n; i++)
    entries[i] = g_strdup ("-");
  return entries;
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
  if (constant == NULL)
    {
      node_error (error, ctx, CNNFILT_ERROR_UNSUPPORTED,
                  "input %" G_GSIZE_FORMAT " ('%s') must be a constant (an initializer "
                  "or a Constant node), not computed", i, name);
      return FALSE;
    }
  g_autofree gchar *key = g_strdup (entry);
  gboolean align = g_str_has_suffix (key, "^");
  if (align)
    key[strlen (key) - 1] = '\0';
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
    return set_tensor (ctx, spec, constant, align, source, error);
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
      if (i >= n_entries)
        {
          node_error (error, ctx, CNNFILT_ERROR_UNSUPPORTED,
                      "input %" G_GSIZE_FORMAT " ('%s') is not supported (the op takes %u)", i,
                      name, n_entries);
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
      Mapping *mapping = find_mapping (mappings, name);
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
  g_auto (GStrv) entries = input_entries (klass, ctx->proto);
  g_autoptr (GPtrArray) mappings = parse_mappings (ctx, klass->onnx_attributes, error);
  if (mappings == NULL)
    return FALSE;
  if (!map_inputs (ctx, entries, mappings, data_names, shape_length, error) ||
      !map_attributes (ctx, mappings, shape_length, error))
    return FALSE;
  /* then the defaults of the attributes the node leaves out */
  for (guint i = 0; i < mappings->len; i++)
    {
      Mapping *mapping = mappings->pdata[i];
      if (mapping->arg == NULL && mapping->default_text != NULL)
        mapping->arg = default_arg (mapping);
      if (mapping->arg != NULL && !apply_mapping (ctx, mapping, mapping->arg, error))
        return FALSE;
    }
  return TRUE;
}
