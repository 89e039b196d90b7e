/* standardize.c: per-channel (x − mean) / std, as networks expect their input
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Example: cnnfilt run 'resize shorter=256 ! center-crop ! standardize ! model file=resnet18.onnx'
 *
 * The defaults are ImageNet's statistics, which torchvision's models were
 * trained with; give one value for every channel, or one for all.
 */
#include <cnnfilt.h>

typedef struct {
  CnnfiltOp parent_instance;
  gchar *mean, *std;
} CnnfiltStandardize;

typedef struct {
  CnnfiltOpClass parent_class;
} CnnfiltStandardizeClass;

CNNFILT_DEFINE_OP_TYPE (CnnfiltStandardize, cnnfilt_standardize, CNNFILT_TYPE_OP)

static const CnnfiltOpProp standardize_props[] = {
  { "mean", "Subtracted: one value per channel, or one for all", CNNFILT_OP_PROP_STRING,
    CNNFILT_OP_PROP_FIELD (CnnfiltStandardize, mean), 0, 0, 0, NULL, { 0 }, "0.485,0.456,0.406" },
  { "std", "Divided by: one value per channel, or one for all", CNNFILT_OP_PROP_STRING,
    CNNFILT_OP_PROP_FIELD (CnnfiltStandardize, std), 0, 0, 0, NULL, { 0 }, "0.229,0.224,0.225" },
};

#define MAX_VALUES 16

/* Parses "0.485,0.456,0.406" into @values; the count, or 0 with @error. */
static guint
parse_list (const gchar *property, const gchar *text, gdouble values[MAX_VALUES], GError **error)
{
  g_auto (GStrv) parts = g_strsplit (text ? text : "", ",", -1);
  guint n = 0;
  for (; parts[n] != NULL; n++)
    {
      gchar *end = NULL;
      gchar *item = g_strstrip (parts[n]);
      if (n == MAX_VALUES || *item == '\0' ||
          (values[n] = g_ascii_strtod (item, &end), *end != '\0'))
        {
          g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_INVALID_ARGUMENT,
                       "standardize: %s: '%s' is not a list of up to %d numbers", property,
                       text ? text : "", MAX_VALUES);
          return 0;
        }
    }
  if (n == 0)
    g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_INVALID_ARGUMENT,
                 "standardize: %s is empty", property);
  return n;
}

static gboolean
cnnfilt_standardize_validate (CnnfiltOp *op, GError **error)
{
  CnnfiltStandardize *self = (CnnfiltStandardize *) op;
  gdouble mean[MAX_VALUES], std[MAX_VALUES];
  guint n = parse_list ("mean", self->mean, mean, error);
  if (n == 0 || (n = parse_list ("std", self->std, std, error)) == 0)
    return FALSE;
  for (guint i = 0; i < n; i++)
    if (std[i] == 0)
      {
        g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_INVALID_ARGUMENT,
                     "standardize: std may not be 0");
        return FALSE;
      }
  return TRUE;
}

static gboolean
cnnfilt_standardize_infer (CnnfiltOp *op, const CnnfiltShape *inputs, guint n_inputs,
                           CnnfiltShape *output, GError **error)
{
  CnnfiltStandardize *self = (CnnfiltStandardize *) op;
  gdouble values[MAX_VALUES];
  const gchar *names[] = { "mean", "std" }, *texts[] = { self->mean, self->std };
  for (guint k = 0; k < 2; k++)
    {
      guint n = parse_list (names[k], texts[k], values, error);
      if (n != 1 && n != inputs[0].c)
        {
          g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_SHAPE,
                       "standardize: %s has %u values for %u channels (give %u or 1)", names[k],
                       n, inputs[0].c, inputs[0].c);
          return FALSE;
        }
    }
  *output = inputs[0];
  return TRUE;
}

static gboolean
cnnfilt_standardize_run (CnnfiltOp *op, const CnnfiltRunContext *ctx,
                         CnnfiltTensor **inputs, guint n_inputs,
                         CnnfiltTensor *output, GError **error)
{
  CnnfiltStandardize *self = (CnnfiltStandardize *) op;
  CnnfiltShape in;
  cnnfilt_tensor_get_shape (inputs[0], &in);
  gdouble mean[MAX_VALUES], std[MAX_VALUES];
  guint n_mean = parse_list ("mean", self->mean, mean, error);
  guint n_std = parse_list ("std", self->std, std, error);
  if (n_mean == 0 || n_std == 0)
    return FALSE;
  const gfloat *src = cnnfilt_tensor_get_data (inputs[0], NULL);
  gfloat *dst = cnnfilt_tensor_get_data (output, NULL);
  gsize plane = (gsize) in.h * in.w;
  for (guint n = 0; n < in.n; n++)
    for (guint c = 0; c < in.c; c++)
      {
        /* in float32, as torchvision's Normalize computes it */
        const gfloat m = mean[n_mean == 1 ? 0 : c], s = std[n_std == 1 ? 0 : c];
        const gfloat *x = src + ((gsize) n * in.c + c) * plane;
        gfloat *y = dst + ((gsize) n * in.c + c) * plane;
        for (gsize i = 0; i < plane; i++)
          y[i] = (x[i] - m) / s;
      }
  return TRUE;
}

static gboolean
cnnfilt_standardize_run_cl (CnnfiltOp *op, const CnnfiltRunContext *ctx,
                            CnnfiltTensor **inputs, guint n_inputs,
                            CnnfiltTensor *output, GError **error)
{
  CnnfiltStandardize *self = (CnnfiltStandardize *) op;
  const gchar *source = cnnfilt_kernel_source_from_resource ("/org/cnnfilt/image/standardize.cl",
                                                              error);
  if (source == NULL)
    return FALSE;
  CnnfiltShape in;
  cnnfilt_tensor_get_shape (inputs[0], &in);
  gdouble mean[MAX_VALUES], std[MAX_VALUES];
  guint n_mean = parse_list ("mean", self->mean, mean, error);
  guint n_std = parse_list ("std", self->std, std, error);
  if (n_mean == 0 || n_std == 0)
    return FALSE;
  g_autofree gfloat *values = g_new (gfloat, 2 * in.c);
  for (guint c = 0; c < in.c; c++)
    {
      values[c] = mean[n_mean == 1 ? 0 : c];
      values[in.c + c] = std[n_std == 1 ? 0 : c];
    }
  g_autoptr (CnnfiltTensor) mean_std = cnnfilt_tensor_new_from_data (values, 2 * in.c, 1, 1, 2,
                                                                     in.c, error);
  if (mean_std == NULL)
    return FALSE;
  const CnnfiltKernelArg args[] = {
    CNNFILT_KERNEL_IN (inputs[0]), CNNFILT_KERNEL_OUT (output), CNNFILT_KERNEL_IN (mean_std),
    CNNFILT_KERNEL_INT (in.c), CNNFILT_KERNEL_INT (in.h * in.w),
  };
  CnnfiltKernelLaunch launch = { source, NULL, "standardize", 2,
                                 { (gsize) in.h * in.w, (gsize) in.n * in.c } };
  return cnnfilt_kernel_run (op, ctx, &launch, args, G_N_ELEMENTS (args), error);
}

static void
cnnfilt_standardize_class_init (CnnfiltStandardizeClass *klass)
{
  CnnfiltOpClass *op_class = CNNFILT_OP_CLASS (klass);
  op_class->name = "standardize";
  op_class->description = "Per-channel (x − mean) / std, ImageNet's by default (torchvision's "
                          "Normalize)";
  op_class->example = "resize shorter=256 ! center-crop ! standardize";
  op_class->n_inputs = 1;
  op_class->validate = cnnfilt_standardize_validate;
  op_class->infer = cnnfilt_standardize_infer;
  op_class->run = cnnfilt_standardize_run;
  op_class->run_cl = cnnfilt_standardize_run_cl;
  cnnfilt_op_class_install_properties (op_class, standardize_props,
                                       G_N_ELEMENTS (standardize_props));
}

static void
cnnfilt_standardize_class_finalize (CnnfiltStandardizeClass *klass)
{
}

static void
cnnfilt_standardize_init (CnnfiltStandardize *self)
{
}
