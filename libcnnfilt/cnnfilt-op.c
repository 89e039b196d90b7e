/* cnnfilt-op.c: the abstract operator
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include "cnnfilt-op.h"
#include "cnnfilt-device-private.h"
#include "cnnfilt-error.h"
#include "cnnfilt-graph-private.h"
#include "cnnfilt-npy.h"
#include "cnnfilt-registry.h"
#include "cnnfilt-tensor-private.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/**
 * CnnfiltOp:
 *
 * An operator: a pure function from one or more input tensors to one output
 * tensor, with its parameters held in GObject properties.
 *
 * Operators come from plugins and are created by name with cnnfilt_op_new().
 * A graph calls cnnfilt_op_infer() once per input shape and then
 * cnnfilt_op_run() once per input; an op may keep scratch buffers between
 * runs, so one op instance must not run in two threads at once.
 */
G_DEFINE_ABSTRACT_TYPE (CnnfiltOp, cnnfilt_op, G_TYPE_OBJECT)

/* Each table property's pspec carries its CnnfiltOpProp, so that one
 * set/get serves every op class whatever its table. */
static GQuark
prop_quark (void)
{
  static gsize quark = 0;
  if (g_once_init_enter (&quark))
    g_once_init_leave (&quark, g_quark_from_static_string ("cnnfilt-op-prop"));
  return (GQuark) quark;
}

/* Set on the ops a graph makes for its own runs (fused ops): they run
 * with the op they were made from, in the graph's thread, one at a time. */
#define GRAPH_MADE_KEY "cnnfilt-op-graph-made"

static gboolean
graph_made (gpointer op)
{
  return g_object_get_data (op, GRAPH_MADE_KEY) != NULL;
}

static const CnnfiltOpProp *
prop_of (GParamSpec *pspec)
{
  return g_param_spec_get_qdata (pspec, prop_quark ());
}

static void
table_set_property (GObject *object, guint id, const GValue *value, GParamSpec *pspec)
{
  const CnnfiltOpProp *prop = prop_of (pspec);
  if (prop == NULL)
    {
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, id, pspec);
      return;
    }
  guint8 *base = (guint8 *) object;
  gpointer field = base + prop->offset;
  switch (prop->type)
    {
    case CNNFILT_OP_PROP_INT:
      *(gint *) field = g_value_get_int (value);
      break;
    case CNNFILT_OP_PROP_UINT:
      *(guint *) field = g_value_get_uint (value);
      break;
    case CNNFILT_OP_PROP_FLOAT:
      *(gfloat *) field = g_value_get_float (value);
      break;
    case CNNFILT_OP_PROP_DOUBLE:
      *(gdouble *) field = g_value_get_double (value);
      break;
    case CNNFILT_OP_PROP_BOOLEAN:
      *(gboolean *) field = g_value_get_boolean (value);
      break;
    case CNNFILT_OP_PROP_ENUM:
      *(gint *) field = g_value_get_enum (value);
      break;
    case CNNFILT_OP_PROP_STRING:
      g_free (*(gchar **) field);
      *(gchar **) field = g_value_dup_string (value);
      break;
    case CNNFILT_OP_PROP_TENSOR:
      _cnnfilt_tensor_op_hold (*(CnnfiltTensor **) field, -1, graph_made (object));
      g_clear_object ((CnnfiltTensor **) field);
      *(CnnfiltTensor **) field = g_value_dup_object (value);
      _cnnfilt_tensor_op_hold (*(CnnfiltTensor **) field, 1, graph_made (object));
      break;
    case CNNFILT_OP_PROP_SHORTHAND:
      for (guint i = 0; i < G_N_ELEMENTS (prop->offsets) && prop->offsets[i] >= 0; i++)
        *(gint *) (base + prop->offsets[i]) = g_value_get_int (value);
      break;
    }
  CnnfiltOpClass *klass = CNNFILT_OP_GET_CLASS (object);
  if (klass->changed != NULL)
    klass->changed (CNNFILT_OP (object));
}

static void
table_get_property (GObject *object, guint id, GValue *value, GParamSpec *pspec)
{
  const CnnfiltOpProp *prop = prop_of (pspec);
  if (prop == NULL || prop->type == CNNFILT_OP_PROP_SHORTHAND)
    {
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, id, pspec);
      return;
    }
  gconstpointer field = (const guint8 *) object + prop->offset;
  switch (prop->type)
    {
    case CNNFILT_OP_PROP_INT:
      g_value_set_int (value, *(const gint *) field);
      break;
    case CNNFILT_OP_PROP_UINT:
      g_value_set_uint (value, *(const guint *) field);
      break;
    case CNNFILT_OP_PROP_FLOAT:
      g_value_set_float (value, *(const gfloat *) field);
      break;
    case CNNFILT_OP_PROP_DOUBLE:
      g_value_set_double (value, *(const gdouble *) field);
      break;
    case CNNFILT_OP_PROP_BOOLEAN:
      g_value_set_boolean (value, *(const gboolean *) field);
      break;
    case CNNFILT_OP_PROP_ENUM:
      g_value_set_enum (value, *(const gint *) field);
      break;
    case CNNFILT_OP_PROP_STRING:
      g_value_set_string (value, *(gchar *const *) field);
      break;
    case CNNFILT_OP_PROP_TENSOR:
      g_value_set_object (value, *(CnnfiltTensor *const *) field);
      break;
    case CNNFILT_OP_PROP_SHORTHAND:
      break;
    }
}

/* Frees the strings and tensors of every table the op's classes declared. */
static void
cnnfilt_op_dispose (GObject *object)
{
  guint n = 0;
  g_autofree GParamSpec **specs = g_object_class_list_properties (G_OBJECT_GET_CLASS (object), &n);
  for (guint i = 0; i < n; i++)
    {
      const CnnfiltOpProp *prop = prop_of (specs[i]);
      if (prop == NULL)
        continue;
      gpointer field = (guint8 *) object + prop->offset;
      if (prop->type == CNNFILT_OP_PROP_TENSOR)
        {
          _cnnfilt_tensor_op_hold (*(CnnfiltTensor **) field, -1, graph_made (object));
          g_clear_object ((CnnfiltTensor **) field);
        }
      else if (prop->type == CNNFILT_OP_PROP_STRING)
        g_clear_pointer ((gchar **) field, g_free);
    }
  G_OBJECT_CLASS (cnnfilt_op_parent_class)->dispose (object);
}

static void
cnnfilt_op_class_init (CnnfiltOpClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = cnnfilt_op_dispose;
}

/**
 * cnnfilt_op_class_install_properties: (skip)
 * @klass: an op class, in its class_init
 * @props: (array length=n_props): the op's parameters; the table must stay
 *   (a static const array)
 * @n_props: how many
 *
 * Installs @props as GObject properties of @klass, with ranges, defaults
 * and blurbs, and makes the base class set and get them in the fields
 * they name, free strings and tensors when the op goes, and call
 * @klass's changed after each set. Numbers, booleans and enums are
 * construct properties, so a new op holds the defaults. A class may
 * install one table; subclasses add their own.
 */
void
cnnfilt_op_class_install_properties (CnnfiltOpClass *klass, const CnnfiltOpProp *props,
                                     guint n_props)
{
  g_return_if_fail (CNNFILT_IS_OP_CLASS (klass));
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  /* GObject does not inherit these two: each class with properties sets them. */
  object_class->set_property = table_set_property;
  object_class->get_property = table_get_property;
  const GParamFlags flags = G_PARAM_READWRITE | G_PARAM_CONSTRUCT | G_PARAM_STATIC_STRINGS;
  for (guint i = 0; i < n_props; i++)
    {
      const CnnfiltOpProp *p = &props[i];
      GParamSpec *spec = NULL;
      switch (p->type)
        {
        case CNNFILT_OP_PROP_INT:
          spec = g_param_spec_int (p->name, NULL, p->blurb, (gint) p->min, (gint) p->max,
                                   (gint) p->def, flags);
          break;
        case CNNFILT_OP_PROP_UINT:
          spec = g_param_spec_uint (p->name, NULL, p->blurb, (guint) p->min, (guint) p->max,
                                    (guint) p->def, flags);
          break;
        case CNNFILT_OP_PROP_FLOAT:
          spec = g_param_spec_float (p->name, NULL, p->blurb, (gfloat) p->min, (gfloat) p->max,
                                     (gfloat) p->def, flags);
          break;
        case CNNFILT_OP_PROP_DOUBLE:
          spec = g_param_spec_double (p->name, NULL, p->blurb, p->min, p->max, p->def, flags);
          break;
        case CNNFILT_OP_PROP_BOOLEAN:
          spec = g_param_spec_boolean (p->name, NULL, p->blurb, p->def != 0, flags);
          break;
        case CNNFILT_OP_PROP_ENUM:
          spec = g_param_spec_enum (p->name, NULL, p->blurb, p->enum_type (), (gint) p->def, flags);
          break;
        case CNNFILT_OP_PROP_STRING:
          spec = g_param_spec_string (p->name, NULL, p->blurb, p->default_string, flags);
          break;
        case CNNFILT_OP_PROP_TENSOR:
          spec = g_param_spec_object (p->name, NULL, p->blurb, CNNFILT_TYPE_TENSOR,
                                      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
          break;
        case CNNFILT_OP_PROP_SHORTHAND:
          spec = g_param_spec_int (p->name, NULL, p->blurb, (gint) p->min, (gint) p->max,
                                   (gint) p->def, G_PARAM_WRITABLE | G_PARAM_STATIC_STRINGS);
          break;
        }
      g_param_spec_set_qdata (spec, prop_quark (), (gpointer) p);
      g_object_class_install_property (object_class, i + 1, spec);
    }
}

/**
 * cnnfilt_op_find_prop: (skip)
 * @op: an op
 * @name: a property name
 *
 * Returns: (nullable): the table entry that declared property @name of
 *   @op, or %NULL where it has none (a property written by hand)
 */
const CnnfiltOpProp *
cnnfilt_op_find_prop (CnnfiltOp *op, const gchar *name)
{
  g_return_val_if_fail (CNNFILT_IS_OP (op), NULL);
  GParamSpec *spec = g_object_class_find_property (G_OBJECT_GET_CLASS (op), name);
  return spec ? prop_of (spec) : NULL;
}

static void
cnnfilt_op_init (CnnfiltOp *self)
{
}

/**
 * cnnfilt_op_get_name:
 * @op: an op
 *
 * Returns: the op's name, as used in pipelines ("sobel")
 */
const gchar *
cnnfilt_op_get_name (CnnfiltOp *op)
{
  g_return_val_if_fail (CNNFILT_IS_OP (op), NULL);
  return CNNFILT_OP_GET_CLASS (op)->name;
}

/**
 * cnnfilt_op_get_description:
 * @op: an op
 *
 * Returns: one line saying what the op computes
 */
const gchar *
cnnfilt_op_get_description (CnnfiltOp *op)
{
  g_return_val_if_fail (CNNFILT_IS_OP (op), NULL);
  return CNNFILT_OP_GET_CLASS (op)->description;
}

/**
 * cnnfilt_op_runs_on:
 * @op: an op
 * @kind: a kind of device
 *
 * Returns: %TRUE where @op has its own implementation for devices of
 *   @kind (every op runs on the CPU; on OpenCL, an op without a kernel runs
 *   on the CPU, with its values copied to and from the device)
 */
gboolean
cnnfilt_op_runs_on (CnnfiltOp *op, CnnfiltDeviceKind kind)
{
  g_return_val_if_fail (CNNFILT_IS_OP (op), FALSE);
  CnnfiltOpClass *klass = CNNFILT_OP_GET_CLASS (op);
  return kind == CNNFILT_DEVICE_KIND_CPU ? klass->run != NULL : klass->run_cl != NULL;
}

/**
 * cnnfilt_op_get_n_inputs:
 * @op: an op
 *
 * Returns: how many input tensors the op takes, or 0 if it takes any
 *   number from one up
 */
guint
cnnfilt_op_get_n_inputs (CnnfiltOp *op)
{
  g_return_val_if_fail (CNNFILT_IS_OP (op), 0);
  return CNNFILT_OP_GET_CLASS (op)->n_inputs;
}

static gchar *
list_properties (CnnfiltOp *op)
{
  guint n = 0;
  g_autofree GParamSpec **specs = g_object_class_list_properties (G_OBJECT_GET_CLASS (op), &n);
  GString *text = g_string_new (NULL);
  for (guint i = 0; i < n; i++)
    g_string_append_printf (text, "%s%s", i ? ", " : "", specs[i]->name);
  if (n == 0)
    g_string_append (text, "none");
  return g_string_free (text, FALSE);
}

static gchar *
list_enum_nicks (GType type)
{
  g_autoptr (GEnumClass) klass = g_type_class_ref (type);
  GString *text = g_string_new (NULL);
  for (guint i = 0; i < klass->n_values; i++)
    g_string_append_printf (text, "%s%s", i ? ", " : "", klass->values[i].value_nick);
  return g_string_free (text, FALSE);
}

static gboolean
parse_number (const gchar *text, gdouble *number)
{
  gchar *end = NULL;
  errno = 0;
  *number = g_ascii_strtod (text, &end);
  return text[0] != '\0' && end != NULL && *end == '\0' && errno == 0 && isfinite (*number);
}

static gboolean
parse_integer (const gchar *text, gint64 *number)
{
  gchar *end = NULL;
  errno = 0;
  *number = g_ascii_strtoll (text, &end, 10);
  return text[0] != '\0' && end != NULL && *end == '\0' && errno == 0;
}

#define RANGE_ERROR(fmt, min, max)                                             \
  g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_INVALID_ARGUMENT,           \
               "%s: %s: '%s' is out of range (" fmt " to " fmt ")",           \
               op_name, spec->name, text, min, max)

/* Converts @text to the type of @spec, checking the declared range. */
static gboolean
value_from_string (CnnfiltOp *op, GParamSpec *spec, const gchar *text, GValue *value,
                   GError **error)
{
  const gchar *op_name = cnnfilt_op_get_name (op);
  GType type = G_PARAM_SPEC_VALUE_TYPE (spec);
  gdouble number = 0;
  gint64 integer = 0;

  g_value_init (value, type);
  if (G_TYPE_IS_ENUM (type))
    {
      g_autoptr (GEnumClass) klass = g_type_class_ref (type);
      GEnumValue *found = g_enum_get_value_by_nick (klass, text);
      if (found == NULL)
        found = g_enum_get_value_by_name (klass, text);
      if (found == NULL)
        {
          g_autofree gchar *nicks = list_enum_nicks (type);
          g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_INVALID_ARGUMENT,
                       "%s: %s: invalid value '%s' (expected one of: %s)",
                       op_name, spec->name, text, nicks);
          return FALSE;
        }
      g_value_set_enum (value, found->value);
      return TRUE;
    }

  if (g_type_is_a (type, CNNFILT_TYPE_TENSOR))
    {
      CnnfiltTensor *tensor = cnnfilt_tensor_new_from_npy_file (text, error);
      if (tensor == NULL)
        {
          g_prefix_error (error, "%s: %s: ", op_name, spec->name);
          return FALSE;
        }
      g_value_take_object (value, tensor);
      return TRUE;
    }

  switch (G_TYPE_FUNDAMENTAL (type))
    {
    case G_TYPE_STRING:
      g_value_set_string (value, text);
      return TRUE;
    case G_TYPE_BOOLEAN:
      if (g_ascii_strcasecmp (text, "true") == 0 || g_str_equal (text, "1") ||
          g_ascii_strcasecmp (text, "yes") == 0)
        g_value_set_boolean (value, TRUE);
      else if (g_ascii_strcasecmp (text, "false") == 0 || g_str_equal (text, "0") ||
               g_ascii_strcasecmp (text, "no") == 0)
        g_value_set_boolean (value, FALSE);
      else
        {
          g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_INVALID_ARGUMENT,
                       "%s: %s: invalid value '%s' (expected true or false)",
                       op_name, spec->name, text);
          return FALSE;
        }
      return TRUE;
    case G_TYPE_INT:
      {
        GParamSpecInt *s = G_PARAM_SPEC_INT (spec);
        if (!parse_integer (text, &integer))
          break;
        if (integer < s->minimum || integer > s->maximum)
          {
            RANGE_ERROR ("%d", s->minimum, s->maximum);
            return FALSE;
          }
        g_value_set_int (value, (gint) integer);
        return TRUE;
      }
    case G_TYPE_UINT:
      {
        GParamSpecUInt *s = G_PARAM_SPEC_UINT (spec);
        if (!parse_integer (text, &integer))
          break;
        if (integer < s->minimum || integer > s->maximum)
          {
            RANGE_ERROR ("%u", s->minimum, s->maximum);
            return FALSE;
          }
        g_value_set_uint (value, (guint) integer);
        return TRUE;
      }
    case G_TYPE_FLOAT:
      {
        GParamSpecFloat *s = G_PARAM_SPEC_FLOAT (spec);
        if (!parse_number (text, &number))
          break;
        if (number < s->minimum || number > s->maximum)
          {
            RANGE_ERROR ("%g", s->minimum, s->maximum);
            return FALSE;
          }
        g_value_set_float (value, (gfloat) number);
        return TRUE;
      }
    case G_TYPE_DOUBLE:
      {
        GParamSpecDouble *s = G_PARAM_SPEC_DOUBLE (spec);
        if (!parse_number (text, &number))
          break;
        if (number < s->minimum || number > s->maximum)
          {
            RANGE_ERROR ("%g", s->minimum, s->maximum);
            return FALSE;
          }
        g_value_set_double (value, number);
        return TRUE;
      }
    default:
      g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_UNSUPPORTED,
                   "%s: %s: a property of type %s cannot be set from text",
                   op_name, spec->name, g_type_name (type));
      return FALSE;
    }

  g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_INVALID_ARGUMENT,
               "%s: %s: '%s' is not a number", op_name, spec->name, text);
  return FALSE;
}

/**
 * cnnfilt_op_set_property_from_string:
 * @op: an op
 * @property: a property name
 * @value: the value as text: a number, an enum nick ("magnitude"), true/false
 *   or a string
 * @error: return location for a #GError
 *
 * Sets a property from text, as the pipeline parser does. Unknown
 * properties, unparsable values and values outside the property's range
 * are errors that name the op, the property and what is allowed.
 *
 * Returns: %TRUE if the property was set
 */
gboolean
cnnfilt_op_set_property_from_string (CnnfiltOp *op, const gchar *property,
                                     const gchar *value, GError **error)
{
  g_return_val_if_fail (CNNFILT_IS_OP (op), FALSE);
  g_return_val_if_fail (property != NULL && value != NULL, FALSE);

  GParamSpec *spec = g_object_class_find_property (G_OBJECT_GET_CLASS (op), property);
  if (spec == NULL || !(spec->flags & G_PARAM_WRITABLE))
    {
      g_autofree gchar *names = list_properties (op);
      g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_INVALID_ARGUMENT,
                   "%s: unknown property '%s' (properties: %s)",
                   cnnfilt_op_get_name (op), property, names);
      return FALSE;
    }
  g_auto (GValue) gvalue = G_VALUE_INIT;
  if (!value_from_string (op, spec, value, &gvalue, error))
    return FALSE;
  g_object_set_property (G_OBJECT (op), spec->name, &gvalue);
  return TRUE;
}

/* The shortest text that reads back as the same float or double. */
static gchar *
format_shortest (gdouble v, gboolean is_float)
{
  gchar buffer[G_ASCII_DTOSTR_BUF_SIZE];
  for (gint digits = is_float ? 6 : 15;; digits++)
    {
      gchar format[8];
      g_snprintf (format, sizeof format, "%%.%dg", digits);
      g_ascii_formatd (buffer, sizeof buffer, format, v);
      gdouble back = g_ascii_strtod (buffer, NULL);
      if (digits >= (is_float ? 9 : 17) || (is_float ? (gfloat) back == (gfloat) v : back == v))
        return g_strdup (buffer);
    }
}

/**
 * cnnfilt_value_to_string:
 * @value: a #GValue of a type properties of ops use
 *
 * Formats a property value the way cnnfilt_op_set_property_from_string()
 * reads it back: enum nicks, `true`/`false`, shortest round-trip numbers.
 *
 * Returns: (transfer full): the text
 */
gchar *
cnnfilt_value_to_string (const GValue *value)
{
  GType type = G_VALUE_TYPE (value);
  if (G_TYPE_IS_ENUM (type))
    {
      g_autoptr (GEnumClass) klass = g_type_class_ref (type);
      GEnumValue *found = g_enum_get_value (klass, g_value_get_enum (value));
      return g_strdup (found ? found->value_nick : "?");
    }
  if (g_type_is_a (type, CNNFILT_TYPE_TENSOR))
    {
      CnnfiltTensor *tensor = g_value_get_object (value);
      if (tensor == NULL)
        return g_strdup ("none");
      CnnfiltShape shape;
      cnnfilt_tensor_get_shape (tensor, &shape);
      g_autofree gchar *dims = cnnfilt_shape_to_string (&shape);
      return g_strdup_printf ("<%s tensor>", dims);
    }
  switch (G_TYPE_FUNDAMENTAL (type))
    {
    case G_TYPE_STRING:
      return g_strdup (g_value_get_string (value) ? g_value_get_string (value) : "");
    case G_TYPE_BOOLEAN:
      return g_strdup (g_value_get_boolean (value) ? "true" : "false");
    case G_TYPE_INT:
      return g_strdup_printf ("%d", g_value_get_int (value));
    case G_TYPE_UINT:
      return g_strdup_printf ("%u", g_value_get_uint (value));
    case G_TYPE_FLOAT:
      return format_shortest (g_value_get_float (value), TRUE);
    case G_TYPE_DOUBLE:
      return format_shortest (g_value_get_double (value), FALSE);
    default:
      return g_strdup_value_contents (value);
    }
}

/**
 * cnnfilt_op_get_property_as_string:
 * @op: an op
 * @property: a property name
 *
 * Returns: (transfer full) (nullable): the property's current value as
 *   text, or %NULL if @op has no such readable property (shorthands such as
 *   `stride`, which set several properties at once, can only be written)
 */
gchar *
cnnfilt_op_get_property_as_string (CnnfiltOp *op, const gchar *property)
{
  g_return_val_if_fail (CNNFILT_IS_OP (op), NULL);
  GParamSpec *spec = g_object_class_find_property (G_OBJECT_GET_CLASS (op), property);
  if (spec == NULL || !(spec->flags & G_PARAM_READABLE))
    return NULL;
  g_auto (GValue) value = G_VALUE_INIT;
  g_value_init (&value, G_PARAM_SPEC_VALUE_TYPE (spec));
  g_object_get_property (G_OBJECT (op), spec->name, &value);
  return cnnfilt_value_to_string (&value);
}

/**
 * cnnfilt_op_validate:
 * @op: an op
 * @error: return location for a #GError
 *
 * Checks the op's properties on their own, before any input is seen: a
 * malformed kernel matrix, say. The parser calls it once per op.
 *
 * Returns: %TRUE if the properties are consistent
 */
gboolean
cnnfilt_op_validate (CnnfiltOp *op, GError **error)
{
  g_return_val_if_fail (CNNFILT_IS_OP (op), FALSE);
  CnnfiltOpClass *klass = CNNFILT_OP_GET_CLASS (op);
  return klass->validate == NULL || klass->validate (op, error);
}

/**
 * cnnfilt_op_infer:
 * @op: an op
 * @inputs: (array length=n_inputs): the input shapes
 * @n_inputs: the number of inputs
 * @output: (out caller-allocates): the output shape
 * @error: return location for a #GError
 *
 * Shape inference: the output shape for the given inputs, or an error that
 * says which input or property does not fit.
 *
 * Returns: %TRUE if the inputs are acceptable
 */
gboolean
cnnfilt_op_infer (CnnfiltOp *op, const CnnfiltShape *inputs, guint n_inputs,
                  CnnfiltShape *output, GError **error)
{
  g_return_val_if_fail (CNNFILT_IS_OP (op), FALSE);
  CnnfiltOpClass *klass = CNNFILT_OP_GET_CLASS (op);
  if (klass->n_inputs == 0 ? n_inputs == 0 : n_inputs != klass->n_inputs)
    {
      g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_SHAPE,
                   "%s takes %u input%s, %u given", klass->name, klass->n_inputs,
                   klass->n_inputs == 1 ? "" : "s", n_inputs);
      return FALSE;
    }
  if (!cnnfilt_op_validate (op, error))
    return FALSE;
  return klass->infer (op, inputs, n_inputs, output, error);
}

/**
 * cnnfilt_op_run:
 * @op: an op
 * @inputs: (array length=n_inputs): the input tensors
 * @n_inputs: the number of inputs
 * @output: the tensor to write; it is given the inferred shape
 * @error: return location for a #GError
 *
 * Runs the op on the CPU. @output must not be one of @inputs.
 *
 * Returns: %TRUE on success
 */
gboolean
cnnfilt_op_run (CnnfiltOp *op, CnnfiltTensor **inputs, guint n_inputs,
                CnnfiltTensor *output, GError **error)
{
  return cnnfilt_op_run_on_device (op, NULL, inputs, n_inputs, output, error);
}

/**
 * cnnfilt_op_run_on_device:
 * @op: an op
 * @device: (nullable): the device to run on, with its #CnnfiltDevice:n-threads;
 *   %NULL for the CPU with one thread per core
 * @inputs: (array length=n_inputs): the input tensors
 * @n_inputs: how many
 * @output: the tensor to write; reshaped as @op infers
 * @error: return location for a #GError
 *
 * Runs @op once, as a graph would on @device: its implementation for the
 * device, or its CPU one where it has none.
 *
 * Returns: %TRUE on success
 */
gboolean
cnnfilt_op_run_on_device (CnnfiltOp *op, CnnfiltDevice *device, CnnfiltTensor **inputs,
                          guint n_inputs, CnnfiltTensor *output, GError **error)
{
  g_return_val_if_fail (CNNFILT_IS_OP (op), FALSE);
  g_return_val_if_fail (device == NULL || CNNFILT_IS_DEVICE (device), FALSE);
  g_return_val_if_fail (CNNFILT_IS_TENSOR (output), FALSE);

  CnnfiltShape in_shapes[n_inputs > 0 ? n_inputs : 1];
  for (guint i = 0; i < n_inputs; i++)
    {
      g_return_val_if_fail (CNNFILT_IS_TENSOR (inputs[i]) && inputs[i] != output, FALSE);
      cnnfilt_tensor_get_shape (inputs[i], &in_shapes[i]);
    }
  CnnfiltShape out_shape;
  if (!cnnfilt_op_infer (op, in_shapes, n_inputs, &out_shape, error) ||
      !cnnfilt_tensor_set_shape (output, &out_shape, error))
    return FALSE;
  CnnfiltRunContext ctx;
  _cnnfilt_device_init_context (device, &ctx);
  const gchar *why;
  gboolean on_device;
  CnnfiltOpRunFunc run = _cnnfilt_device_pick_run (ctx.device, op, &on_device, &why);
  if (!_cnnfilt_device_check_fits (ctx.device, on_device, inputs, n_inputs, output, error))
    return FALSE;
  gboolean began = _cnnfilt_device_begin_run (&ctx);
  gboolean ok = run (op, &ctx, inputs, n_inputs, output, error);
  _cnnfilt_device_end_run (&ctx, began);
  return ok;
}

/**
 * cnnfilt_op_process:
 * @op: a one-input op
 * @input: the input tensor
 * @error: return location for a #GError
 *
 * Runs a one-input op into a new tensor.
 *
 * Returns: (transfer full): the output, or %NULL on error
 */
CnnfiltTensor *
cnnfilt_op_process (CnnfiltOp *op, CnnfiltTensor *input, GError **error)
{
  g_return_val_if_fail (CNNFILT_IS_OP (op), NULL);
  CnnfiltTensor *output = g_object_new (CNNFILT_TYPE_TENSOR, NULL);
  if (!cnnfilt_op_run (op, &input, 1, output, error))
    g_clear_object (&output);
  return output;
}

/**
 * cnnfilt_op_copy:
 * @op: an op
 *
 * A new op of the same type with the same property values. Tensor
 * properties are shared, not copied: ops never modify their tensors.
 *
 * Returns: (transfer full): the copy
 */
CnnfiltOp *
cnnfilt_op_copy (CnnfiltOp *op)
{
  g_return_val_if_fail (CNNFILT_IS_OP (op), NULL);
  guint n = 0;
  g_autofree GParamSpec **specs = g_object_class_list_properties (G_OBJECT_GET_CLASS (op), &n);
  const gchar *names[MAX (n, 1)];
  GValue values[MAX (n, 1)];
  guint count = 0;
  for (guint i = 0; i < n; i++)
    {
      if ((specs[i]->flags & G_PARAM_READWRITE) != G_PARAM_READWRITE)
        continue;
      names[count] = specs[i]->name;
      values[count] = (GValue) G_VALUE_INIT;
      g_value_init (&values[count], G_PARAM_SPEC_VALUE_TYPE (specs[i]));
      g_object_get_property (G_OBJECT (op), specs[i]->name, &values[count]);
      count++;
    }
  GObject *copy = g_object_new_with_properties (G_OBJECT_TYPE (op), count, names, values);
  for (guint i = 0; i < count; i++)
    g_value_unset (&values[i]);
  return CNNFILT_OP (copy);
}

/**
 * cnnfilt_op_fuse:
 * @op: an op
 * @next: an op that reads only the output of @op
 *
 * Asks @op for one op that computes @op followed by @next, such as a
 * convolution with a batch normalization folded into its weights or an
 * activation applied as it writes. Graphs do this when they are prepared;
 * neither op changes.
 *
 * Returns: (transfer full) (nullable): the fused op, or %NULL where the two
 *   do not fuse
 */
CnnfiltOp *
cnnfilt_op_fuse (CnnfiltOp *op, CnnfiltOp *next)
{
  g_return_val_if_fail (CNNFILT_IS_OP (op), NULL);
  g_return_val_if_fail (CNNFILT_IS_OP (next), NULL);
  CnnfiltOpClass *klass = CNNFILT_OP_GET_CLASS (op);
  return klass->fuse ? klass->fuse (op, next) : NULL;
}

void
_cnnfilt_op_set_graph_made (CnnfiltOp *op)
{
  if (graph_made (op))
    return;
  g_object_set_data (G_OBJECT (op), GRAPH_MADE_KEY, GINT_TO_POINTER (1));
  guint n = 0;
  g_autofree GParamSpec **specs = g_object_class_list_properties (G_OBJECT_GET_CLASS (op), &n);
  for (guint i = 0; i < n; i++)
    {
      const CnnfiltOpProp *prop = prop_of (specs[i]);
      if (prop != NULL && prop->type == CNNFILT_OP_PROP_TENSOR)
        _cnnfilt_tensor_graph_hold (*(CnnfiltTensor **) ((guint8 *) op + prop->offset));
    }
}

/**
 * cnnfilt_op_get_layout_support:
 * @op: an op
 * @inputs: (array length=n_inputs): the input shapes
 * @n_inputs: the number of inputs
 *
 * Returns: the layouts @op handles for inputs of these shapes
 */
CnnfiltLayoutSupport
cnnfilt_op_get_layout_support (CnnfiltOp *op, const CnnfiltShape *inputs, guint n_inputs)
{
  g_return_val_if_fail (CNNFILT_IS_OP (op), CNNFILT_LAYOUT_SUPPORT_NCHW);
  CnnfiltOpClass *klass = CNNFILT_OP_GET_CLASS (op);
  return klass->layouts ? klass->layouts (op, inputs, n_inputs) : CNNFILT_LAYOUT_SUPPORT_NCHW;
}

/**
 * cnnfilt_op_get_n_params:
 * @op: an op
 *
 * The learned values the op holds: the sizes of its tensor properties,
 * less those declared %CNNFILT_OP_PROP_FLAGS_BUFFER (state, as batch
 * normalization's running statistics), as PyTorch counts parameters.
 *
 * Returns: the number of values
 */
guint64
cnnfilt_op_get_n_params (CnnfiltOp *op)
{
  g_return_val_if_fail (CNNFILT_IS_OP (op), 0);
  guint n = 0;
  g_autofree GParamSpec **specs = g_object_class_list_properties (G_OBJECT_GET_CLASS (op), &n);
  guint64 total = 0;
  for (guint i = 0; i < n; i++)
    {
      const CnnfiltOpProp *prop = prop_of (specs[i]);
      if (!(specs[i]->flags & G_PARAM_READABLE) ||
          !g_type_is_a (G_PARAM_SPEC_VALUE_TYPE (specs[i]), CNNFILT_TYPE_TENSOR) ||
          (prop != NULL && (prop->flags & CNNFILT_OP_PROP_FLAGS_BUFFER)))
        continue;
      g_autoptr (CnnfiltTensor) tensor = NULL;
      g_object_get (op, specs[i]->name, &tensor, NULL);
      if (tensor != NULL)
        total += cnnfilt_tensor_get_size (tensor);
    }
  return total;
}

/**
 * cnnfilt_op_get_flops:
 * @op: an op
 * @inputs: (array length=n_inputs): the input shapes
 * @n_inputs: how many
 * @output: the output shape @op infers for them
 *
 * How many floating-point operations one run takes, a multiply and an add
 * counting two: the op's own count, or @flops_per_output per output value.
 *
 * Returns: the count; 0 for ops that move values only (reshape, pad)
 */
guint64
cnnfilt_op_get_flops (CnnfiltOp *op, const CnnfiltShape *inputs, guint n_inputs,
                      const CnnfiltShape *output)
{
  g_return_val_if_fail (CNNFILT_IS_OP (op), 0);
  g_return_val_if_fail (output != NULL, 0);
  CnnfiltOpClass *klass = CNNFILT_OP_GET_CLASS (op);
  if (klass->flops != NULL)
    return klass->flops (op, inputs, n_inputs, output);
  return klass->flops_per_output * cnnfilt_shape_get_size (output);
}

/**
 * cnnfilt_op_get_window:
 * @op: an op
 * @window: (out caller-allocates): the window
 *
 * Returns: %TRUE where @op slides a window over its input or sees it
 *   whole (@window says which); %FALSE where each output value reads the
 *   same place of its input
 */
gboolean
cnnfilt_op_get_window (CnnfiltOp *op, CnnfiltOpWindow *window)
{
  g_return_val_if_fail (CNNFILT_IS_OP (op), FALSE);
  g_return_val_if_fail (window != NULL, FALSE);
  memset (window, 0, sizeof *window);
  CnnfiltOpClass *klass = CNNFILT_OP_GET_CLASS (op);
  return klass->window != NULL && klass->window (op, window);
}

/**
 * cnnfilt_op_infer_same_shape:
 * @op: an op
 * @inputs: (array length=n_inputs): the input shapes
 * @n_inputs: how many
 * @output: (out caller-allocates): the output shape
 * @error: return location for a #GError
 *
 * An infer for ops whose output has their first input's shape.
 *
 * Returns: %TRUE
 */
gboolean
cnnfilt_op_infer_same_shape (CnnfiltOp *op, const CnnfiltShape *inputs, guint n_inputs,
                             CnnfiltShape *output, GError **error)
{
  g_return_val_if_fail (n_inputs >= 1, FALSE);
  *output = inputs[0];
  return TRUE;
}

/**
 * cnnfilt_op_new:
 * @name: an op name ("sobel")
 * @error: return location for a #GError
 *
 * Creates an op by name with its default properties.
 *
 * Returns: (transfer full): a new op, or %NULL if no plugin provides @name
 */
CnnfiltOp *
cnnfilt_op_new (const gchar *name, GError **error)
{
  g_return_val_if_fail (name != NULL, NULL);
  GType type = cnnfilt_registry_lookup (name);
  if (type != G_TYPE_INVALID)
    return g_object_new (type, NULL);

  g_auto (GStrv) names = cnnfilt_registry_list_ops ();
  const gchar *best = cnnfilt_closest_name (name, (const gchar *const *) names);
  if (best != NULL)
    g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_INVALID_ARGUMENT,
                 "unknown op '%s' (did you mean '%s'? `cnnfilt ops` lists them all)", name, best);
  else if (names[0] == NULL)
    g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_INVALID_ARGUMENT,
                 "unknown op '%s': no plugins found (set CNNFILT_PLUGIN_PATH)", name);
  else
    g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_INVALID_ARGUMENT,
                 "unknown op '%s' (`cnnfilt ops` lists them all)", name);
  return NULL;
}
