/* cnnfilt-point-op.c: the base of ops that map each value on its own
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The C loop comes from the op's expression (CNNFILT_POINT_OP_RUN), and so
 * does the OpenCL kernel: `self->NAME` becomes a float argument holding the
 * value of the op's property NAME (underscores as dashes), and the C maths
 * functions their OpenCL names.
 */
#include "cnnfilt-op.h"
#include "cnnfilt-error.h"
#include "cnnfilt-kernel.h"

#include <string.h>

G_DEFINE_ABSTRACT_TYPE (CnnfiltPointOp, cnnfilt_point_op, CNNFILT_TYPE_OP)

#define MAX_POINT_PARAMS 8

/* value by value: any layout the inputs share */
static CnnfiltLayoutSupport
point_op_layouts (CnnfiltOp *op, const CnnfiltShape *inputs, guint n_inputs)
{
  return CNNFILT_LAYOUT_SUPPORT_ELEMENTWISE;
}

/* A property's value as a float: numbers, booleans (0, 1) and enums. */
static gboolean
property_as_float (CnnfiltOp *op, const gchar *name, gfloat *value, GError **error)
{
  GParamSpec *spec = g_object_class_find_property (G_OBJECT_GET_CLASS (op), name);
  if (spec == NULL)
    {
      g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_FAILED,
                   "%s: its expression names self->%s, which is no property",
                   cnnfilt_op_get_name (op), name);
      return FALSE;
    }
  g_auto (GValue) v = G_VALUE_INIT;
  g_value_init (&v, spec->value_type);
  g_object_get_property (G_OBJECT (op), name, &v);
  if (G_VALUE_HOLDS_BOOLEAN (&v))
    *value = g_value_get_boolean (&v) ? 1.0f : 0.0f;
  else if (G_VALUE_HOLDS_ENUM (&v))
    *value = (gfloat) g_value_get_enum (&v);
  else
    {
      g_auto (GValue) f = G_VALUE_INIT;
      g_value_init (&f, G_TYPE_FLOAT);
      if (!g_value_transform (&v, &f))
        {
          g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_FAILED,
                       "%s: property %s is not a number the kernel can take",
                       cnnfilt_op_get_name (op), name);
          return FALSE;
        }
      *value = g_value_get_float (&f);
    }
  return TRUE;
}

/* The kernel source for @expression, with its `self->` fields as arguments
 * named p_FIELD, listed in @fields (at most MAX_POINT_PARAMS). */
static gchar *
point_kernel_source (const gchar *expression, GPtrArray *fields)
{
  g_autoptr (GString) expr = g_string_new (NULL);
  for (const gchar *p = expression; *p != '\0';)
    {
      if (g_str_has_prefix (p, "self->"))
        {
          p += strlen ("self->");
          const gchar *start = p;
          while (g_ascii_isalnum (*p) || *p == '_')
            p++;
          g_autofree gchar *field = g_strndup (start, p - start);
          gboolean known = FALSE;
          for (guint i = 0; i < fields->len && !known; i++)
            known = g_str_equal (fields->pdata[i], field);
          if (!known)
            g_ptr_array_add (fields, g_strdup (field));
          g_string_append_printf (expr, "p_%s", field);
          continue;
        }
      g_string_append_c (expr, *p++);
    }
  g_autoptr (GString) src = g_string_new (
      "#define expf(v) exp (v)\n#define tanhf(v) tanh (v)\n#define fabsf(v) fabs (v)\n"
      "#define sqrtf(v) sqrt (v)\n#define logf(v) log (v)\n#define powf(a, b) pow (a, b)\n"
      "#define fminf(a, b) fmin (a, b)\n#define fmaxf(a, b) fmax (a, b)\n"
      "#define erff(v) erf (v)\n#define expm1f(v) expm1 (v)\n#define log1pf(v) log1p (v)\n"
      "__kernel void point (__global const float *in, __global float *out, int count");
  for (guint i = 0; i < fields->len; i++)
    g_string_append_printf (src, ", float p_%s", (const gchar *) fields->pdata[i]);
  g_string_append_printf (src,
      ")\n{\n  int i = get_global_id (0);\n  if (i >= count)\n    return;\n"
      "  const float x = in[i];\n  out[i] = (%s);\n}\n", expr->str);
  return g_string_free (g_steal_pointer (&src), FALSE);
}

static gboolean
point_op_run_cl (CnnfiltOp *op, const CnnfiltRunContext *ctx, CnnfiltTensor **inputs,
                 guint n_inputs, CnnfiltTensor *output, GError **error)
{
  const gchar *expression = CNNFILT_POINT_OP_GET_CLASS (op)->expression;
  g_autoptr (GPtrArray) fields = g_ptr_array_new_with_free_func (g_free);
  g_autofree gchar *source = point_kernel_source (expression, fields);
  if (fields->len > MAX_POINT_PARAMS)
    {
      g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_UNSUPPORTED,
                   "%s: its expression takes more than %d fields", cnnfilt_op_get_name (op),
                   MAX_POINT_PARAMS);
      return FALSE;
    }
  gsize count = cnnfilt_tensor_get_size (inputs[0]);
  if (count > G_MAXINT)
    {
      g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_SHAPE,
                   "%s: %" G_GSIZE_FORMAT " values are more than one OpenCL launch takes",
                   cnnfilt_op_get_name (op), count);
      return FALSE;
    }
  CnnfiltKernelArg args[3 + MAX_POINT_PARAMS] = {
    CNNFILT_KERNEL_IN (inputs[0]), CNNFILT_KERNEL_OUT (output), CNNFILT_KERNEL_INT (count),
  };
  for (guint i = 0; i < fields->len; i++)
    {
      g_autofree gchar *name = g_strdelimit (g_strdup (fields->pdata[i]), "_", '-');
      gfloat value;
      if (!property_as_float (op, name, &value, error))
        return FALSE;
      args[3 + i] = (CnnfiltKernelArg) CNNFILT_KERNEL_FLOAT (value);
    }
  CnnfiltKernelLaunch launch = { source, NULL, "point", 1, { count } };
  return cnnfilt_kernel_run (op, ctx, &launch, args, 3 + fields->len, error);
}

static void
cnnfilt_point_op_class_init (CnnfiltPointOpClass *klass)
{
  CnnfiltOpClass *op_class = CNNFILT_OP_CLASS (klass);
  op_class->n_inputs = 1;
  op_class->infer = cnnfilt_op_infer_same_shape;
  op_class->layouts = point_op_layouts;
  op_class->run_cl = point_op_run_cl;
  op_class->flops_per_output = 1;
}

static void
cnnfilt_point_op_init (CnnfiltPointOp *self)
{
}
