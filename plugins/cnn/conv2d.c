/* conv2d.c: 2-D convolution (cross-correlation), as PyTorch's Conv2d and ONNX Conv
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Example: cnnfilt run 'conv2d weights=w.npy bias=b.npy stride=2 padding=3 ! relu' -o out/ in/
 *
 * weights are (O, C/groups, kh, kw), bias (O). Three paths give the same
 * result up to float rounding (the tests hold them to 1e-4 relative):
 * - auto: oneDNN's convolution (conv2d-onednn.c), on channels-last copies,
 *   its weights packed once, bias and clamp applied as it writes.
 *   bench/layers has the figures that chose it (README, "Decisions").
 * - gemm: im2col and sgemm per group, a direct loop for depthwise
 *   convolutions (conv2d-gemm.c). It is what auto falls back to where
 *   oneDNN has no kernel.
 * - reference: the textbook seven nested loops (conv2d-gemm.c), kept to
 *   check the others.
 * A following batchnorm is folded into the weights, a following relu or
 * clip into the clamp, and a following point op that is one of oneDNN's
 * eltwise algorithms (silu, gelu, hard-swish …) into the activation when a
 * graph is prepared (fuse). oneDNN applies clamp and activation as it
 * writes; the other paths run the activation op on their output.
 */
#include "conv2d.h"

#include <math.h>

typedef enum {
  CONV_ALGORITHM_AUTO,
  CONV_ALGORITHM_GEMM,
  CONV_ALGORITHM_REFERENCE,
} ConvAlgorithm;

static GType
conv_algorithm_get_type (void)
{
  static gsize type = 0;
  if (g_once_init_enter (&type))
    {
      static const GEnumValue values[] = {
        { CONV_ALGORITHM_AUTO, "CNNFILT_CONV_ALGORITHM_AUTO", "auto" },
        { CONV_ALGORITHM_GEMM, "CNNFILT_CONV_ALGORITHM_GEMM", "gemm" },
        { CONV_ALGORITHM_REFERENCE, "CNNFILT_CONV_ALGORITHM_REFERENCE", "reference" },
        { 0, NULL, NULL },
      };
      g_once_init_leave (&type, g_enum_register_static ("CnnfiltConvAlgorithm", values));
    }
  return type;
}

typedef struct {
  CnnfiltAreaOp parent_instance;
  gint groups;
  CnnfiltTensor *weights;
  CnnfiltTensor *bias;
  gfloat clamp_min, clamp_max;
  gint algorithm;
  gboolean winograd;
  gboolean residual;
  gchar *activation;
  /* the activation's op, made when the property is set */
  CnnfiltOp *activation_op;
  /* oneDNN's plan for the input shape and layouts last seen */
  OnednnConv *onednn;
  /* the weights packed for the OpenCL kernel */
  ConvCl *cl;
} CnnfiltConv2d;

typedef CnnfiltAreaOpClass CnnfiltConv2dClass;

CNNFILT_DEFINE_OP_TYPE (CnnfiltConv2d, cnnfilt_conv2d, CNNFILT_TYPE_AREA_OP)

static const CnnfiltOpProp conv2d_props[] = {
  { "weights", "Kernels, O×(C/groups)×kh×kw (.npy)", CNNFILT_OP_PROP_TENSOR,
    CNNFILT_OP_PROP_FIELD (CnnfiltConv2d, weights), 0, 0, 0, NULL, { 0 } },
  { "bias", "Added to each output channel, O values (.npy); optional", CNNFILT_OP_PROP_TENSOR,
    CNNFILT_OP_PROP_FIELD (CnnfiltConv2d, bias), 0, 0, 0, NULL, { 0 } },
  CNNFILT_AREA_OP_STRIDE_PROPS (1, ""),
  CNNFILT_AREA_OP_DILATION_PROPS,
  { "groups", "Channel groups: input and output channels split in this many independent "
    "convolutions (groups = channels: depthwise)", CNNFILT_OP_PROP_INT,
    CNNFILT_OP_PROP_FIELD (CnnfiltConv2d, groups), 1, 1 << 20, 1, NULL, { 0 } },
  LAYER_CLAMP_PROPS (CnnfiltConv2d),
  { "residual", "Take a second input of the output's shape and add it before the clamp: a "
    "residual add fused by graphs (oneDNN's path only)", CNNFILT_OP_PROP_BOOLEAN,
    CNNFILT_OP_PROP_FIELD (CnnfiltConv2d, residual), 0, 1, 0, NULL, { 0 } },
  { "activation", "A point op applied after the clamp, one of oneDNN's eltwise algorithms "
    "without parameters (silu, gelu, hard-swish, sigmoid, tanh, exp, sqrt): a following op "
    "fused by graphs", CNNFILT_OP_PROP_STRING,
    CNNFILT_OP_PROP_FIELD (CnnfiltConv2d, activation), 0, 0, 0, NULL, { 0 } },
  { "winograd", "Let auto use oneDNN's Winograd (F(2x2,3x3) or F(4x4,3x3)) for 3×3 stride-1 "
    "layers with 16 output tiles or more for each thread: up to twice as fast there, rounding "
    "errors about ten times larger (still ~1e-6 relative)", CNNFILT_OP_PROP_BOOLEAN,
    CNNFILT_OP_PROP_FIELD (CnnfiltConv2d, winograd), 0, 1, 1, NULL, { 0 } },
  { "algorithm", "auto: oneDNN's kernels; gemm: im2col and sgemm; reference: the plain loops",
    CNNFILT_OP_PROP_ENUM,
    CNNFILT_OP_PROP_FIELD (CnnfiltConv2d, algorithm), 0, 0, CONV_ALGORITHM_AUTO,
    conv_algorithm_get_type, { 0 } },
};

static gboolean
cnnfilt_conv2d_validate (CnnfiltOp *op, GError **error)
{
  CnnfiltConv2d *self = (CnnfiltConv2d *) op;
  if (!layer_require_tensor (op, self->weights, "weights", error))
    return FALSE;
  if (self->activation != NULL && *self->activation != '\0' && self->activation_op == NULL)
    {
      g_autoptr (CnnfiltOp) act = layer_activation_op_new ("conv2d", self->activation, error);
      g_assert (act == NULL); /* changed() made it if it could be made */
      return FALSE;
    }
  guint o = cnnfilt_tensor_get_n (self->weights);
  if (o % self->groups != 0)
    {
      g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_SHAPE,
                   "conv2d: %u output channels (weights) do not split into groups=%d", o,
                   self->groups);
      return FALSE;
    }
  if (self->bias != NULL && cnnfilt_tensor_get_size (self->bias) != o)
    {
      g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_SHAPE,
                   "conv2d: bias has %" G_GSIZE_FORMAT " values, weights have %u output channels",
                   cnnfilt_tensor_get_size (self->bias), o);
      return FALSE;
    }
  if (self->clamp_min > self->clamp_max)
    {
      g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_INVALID_ARGUMENT,
                   "conv2d: clamp-min (%g) is above clamp-max (%g)", self->clamp_min,
                   self->clamp_max);
      return FALSE;
    }
  return TRUE;
}

/* the kernel size is the weights', and a stride must be given */
static gboolean
cnnfilt_conv2d_resolve (CnnfiltAreaOp *area, CnnfiltWindow *window, GError **error)
{
  CnnfiltConv2d *self = (CnnfiltConv2d *) area;
  if (self->weights == NULL)
    {
      g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_INVALID_ARGUMENT,
                   "property weights is not set (give it a .npy file: weights=FILE.npy)");
      return FALSE;
    }
  window->kernel_h = cnnfilt_tensor_get_h (self->weights);
  window->kernel_w = cnnfilt_tensor_get_w (self->weights);
  window->ceil_mode = FALSE;
  if (window->stride_h <= 0 || window->stride_w <= 0)
    {
      g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_INVALID_ARGUMENT,
                   "stride-h and stride-w must be at least 1 (%d, %d given)",
                   window->stride_h, window->stride_w);
      return FALSE;
    }
  return TRUE;
}

static gboolean
conv_plan (CnnfiltConv2d *self, const CnnfiltShape *in, CnnfiltWindowPlan *plan, GError **error)
{
  guint cg = self->weights != NULL ? cnnfilt_tensor_get_c (self->weights) : 0;
  if (self->weights != NULL && (guint64) cg * self->groups != in->c)
    {
      g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_SHAPE,
                   "conv2d: the input has %u channels, the weights expect %u (%u per group × "
                   "groups=%d)", in->c, cg * self->groups, cg, self->groups);
      return FALSE;
    }
  return cnnfilt_area_op_plan (&self->parent_instance, in->h, in->w, plan, error);
}

static gboolean
cnnfilt_conv2d_infer (CnnfiltOp *op, const CnnfiltShape *inputs, guint n_inputs,
                      CnnfiltShape *output, GError **error)
{
  CnnfiltConv2d *self = (CnnfiltConv2d *) op;
  CnnfiltWindowPlan plan;
  if (!conv_plan (self, &inputs[0], &plan, error))
    return FALSE;
  output->n = inputs[0].n;
  output->c = cnnfilt_tensor_get_n (self->weights);
  output->h = plan.out_h;
  output->w = plan.out_w;
  return TRUE;
}

/* the op's properties as its paths take them */
static ConvParams
conv_params (const CnnfiltConv2d *self)
{
  LayerEltwise activation = { 0 };
  gboolean activated = layer_activation_post_op (self->activation_op, &activation);
  return (ConvParams) {
    .activated = activated,
    .activation = activation,
    .weights = self->weights,
    .bias = self->bias,
    .groups = self->groups,
    .clamp_min = self->clamp_min,
    .clamp_max = self->clamp_max,
    .residual = self->residual,
    .winograd = self->winograd,
  };
}

static gboolean
cnnfilt_conv2d_run (CnnfiltOp *op, const CnnfiltRunContext *ctx,
                    CnnfiltTensor **inputs, guint n_inputs, CnnfiltTensor *output,
                    GError **error)
{
  CnnfiltConv2d *self = (CnnfiltConv2d *) op;
  onednn_set_threads (ctx);
  CnnfiltShape in;
  cnnfilt_tensor_get_shape (inputs[0], &in);
  CnnfiltWindowPlan p;
  if (!conv_plan (self, &in, &p, error))
    return FALSE;
  const gfloat *src = cnnfilt_tensor_get_data (inputs[0], NULL);
  gfloat *dst = cnnfilt_tensor_get_data (output, NULL);
  guint o = cnnfilt_tensor_get_n (self->weights);
  const ConvParams conv = conv_params (self);
  if (self->algorithm == CONV_ALGORITHM_REFERENCE)
    {
      conv_run_reference (&conv, &p, src, in.n, in.c, dst, o);
      return layer_activate (self->activation_op, ctx, output, FALSE, error);
    }
  CnnfiltLayout in_layout = cnnfilt_tensor_get_layout (inputs[0]);
  CnnfiltLayout out_layout = cnnfilt_tensor_get_layout (output);
  CnnfiltLayout res_layout = CNNFILT_LAYOUT_NCHW;
  const gfloat *residual = NULL;
  if (self->residual)
    {
      CnnfiltShape res, out;
      cnnfilt_tensor_get_shape (output, &out);
      if (n_inputs != 2 || (cnnfilt_tensor_get_shape (inputs[1], &res), !cnnfilt_shape_equal (&res, &out)))
        {
          g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_SHAPE,
                       "conv2d: residual=true takes a second input of the output's shape");
          return FALSE;
        }
      residual = cnnfilt_tensor_get_data (inputs[1], NULL);
      res_layout = cnnfilt_tensor_get_layout (inputs[1]);
    }
  if (self->algorithm == CONV_ALGORITHM_AUTO &&
      onednn_conv_ensure (&self->onednn, &conv, &in, &p, in_layout, out_layout, res_layout))
    return onednn_conv_run (self->onednn, src, residual, dst, error) &&
           (conv.activated || layer_activate (self->activation_op, ctx, output, FALSE, error));
  if (self->residual)
    {
      g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_FAILED,
                   "conv2d: residual=true needs oneDNN's kernel, which this shape lacks");
      return FALSE;
    }
  if (in_layout != CNNFILT_LAYOUT_NCHW || out_layout != CNNFILT_LAYOUT_NCHW)
    {
      /* only the oneDNN path reads and writes channels-last (see layouts) */
      g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_FAILED,
                   "conv2d: this path takes NCHW tensors only");
      return FALSE;
    }
  return conv_run_gemm (&conv, &p, src, in.n, in.c, dst, o, error) &&
         layer_activate (self->activation_op, ctx, output, FALSE, error);
}

static gboolean
cnnfilt_conv2d_run_cl (CnnfiltOp *op, const CnnfiltRunContext *ctx,
                       CnnfiltTensor **inputs, guint n_inputs, CnnfiltTensor *output,
                       GError **error)
{
  CnnfiltConv2d *self = (CnnfiltConv2d *) op;
  CnnfiltShape in;
  cnnfilt_tensor_get_shape (inputs[0], &in);
  CnnfiltWindowPlan p;
  if (!conv_plan (self, &in, &p, error))
    return FALSE;
  CnnfiltTensor *residual = NULL;
  if (self->residual)
    {
      CnnfiltShape res, out;
      cnnfilt_tensor_get_shape (output, &out);
      if (n_inputs != 2 || (cnnfilt_tensor_get_shape (inputs[1], &res), !cnnfilt_shape_equal (&res, &out)))
        {
          g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_SHAPE,
                       "conv2d: residual=true takes a second input of the output's shape");
          return FALSE;
        }
      residual = inputs[1];
    }
  const ConvParams conv = conv_params (self);
  return conv_run_cl (op, ctx, &self->cl, &conv, &p, inputs[0], residual, output, error) &&
         layer_activate (self->activation_op, ctx, output, TRUE, error);
}

/* Where folded weights come from: the convolution's own and the
 * batchnorm's scale and variance, kept with the folded tensor (as its
 * data, which copies of the op share with it), so that the folded values
 * can be made again, the same to the bit, where the tensor released them
 * for a packing that cannot be undone (Winograd's). */
typedef struct {
  gint ref;
  CnnfiltTensor *weights, *scale, *var;
  gfloat epsilon;
} ConvFold;

static ConvFold *
conv_fold_ref (ConvFold *fold)
{
  g_atomic_int_inc (&fold->ref);
  return fold;
}

static void
conv_fold_unref (gpointer data)
{
  ConvFold *fold = data;
  if (!g_atomic_int_dec_and_test (&fold->ref))
    return;
  g_object_unref (fold->weights);
  g_object_unref (fold->scale);
  g_object_unref (fold->var);
  g_free (fold);
}

static GQuark
conv_fold_quark (void)
{
  return g_quark_from_static_string ("cnnfilt-conv2d-fold");
}

/* w' = w·s, s = scale / sqrt(var + epsilon), per output channel, into @w */
static void
conv_fold_weights (const ConvFold *fold, gfloat *w)
{
  guint o = cnnfilt_tensor_get_n (fold->weights);
  gsize per = cnnfilt_tensor_get_size (fold->weights) / o;
  const gfloat *plain = cnnfilt_tensor_get_data (fold->weights, NULL);
  const gfloat *sc = cnnfilt_tensor_get_data (fold->scale, NULL);
  const gfloat *va = cnnfilt_tensor_get_data (fold->var, NULL);
  for (guint oc = 0; oc < o; oc++)
    {
      gdouble s = sc[oc] / sqrt ((gdouble) va[oc] + fold->epsilon);
      for (gsize i = 0; i < per; i++)
        w[oc * per + i] = (gfloat) (plain[oc * per + i] * s);
    }
}

static void
conv_fold_restore (CnnfiltTensor *tensor, gfloat *values, gpointer data)
{
  conv_fold_weights (data, values);
}

void
conv_release_folded (CnnfiltTensor *weights)
{
  ConvFold *fold = g_object_get_qdata (G_OBJECT (weights), conv_fold_quark ());
  if (fold != NULL &&
      !cnnfilt_tensor_release_values (weights, NULL, NULL, conv_fold_restore,
                                      conv_fold_ref (fold), conv_fold_unref))
    conv_fold_unref (fold);
}

/* A copy with batchnorm folded in: w' = w·s, b' = (b − mean)·s + beta,
 * s = scale / sqrt(var + epsilon), per output channel. */
static CnnfiltOp *
fold_batchnorm (CnnfiltConv2d *self, CnnfiltOp *bn)
{
  g_autoptr (CnnfiltTensor) scale = NULL, beta = NULL, mean = NULL, var = NULL;
  gfloat epsilon = 0, lo, hi;
  g_object_get (bn, "scale", &scale, "bias", &beta, "mean", &mean, "var", &var, "epsilon",
                &epsilon, "clamp-min", &lo, "clamp-max", &hi, NULL);
  guint o = cnnfilt_tensor_get_n (self->weights);
  if (scale == NULL || beta == NULL || mean == NULL || var == NULL ||
      cnnfilt_tensor_get_size (scale) != o || cnnfilt_tensor_get_size (beta) != o ||
      cnnfilt_tensor_get_size (mean) != o || cnnfilt_tensor_get_size (var) != o)
    return NULL; /* let the batchnorm node report its own error */
  CnnfiltShape shape;
  cnnfilt_tensor_get_shape (self->weights, &shape);
  g_autoptr (CnnfiltTensor) weights = cnnfilt_tensor_new (shape.n, shape.c, shape.h, shape.w, NULL);
  g_autoptr (CnnfiltTensor) bias = cnnfilt_tensor_new (o, 1, 1, 1, NULL);
  if (weights == NULL || bias == NULL)
    return NULL;
  ConvFold *fold = g_new (ConvFold, 1);
  *fold = (ConvFold) { 1, g_object_ref (self->weights), g_object_ref (scale), g_object_ref (var),
                       epsilon };
  conv_fold_weights (fold, cnnfilt_tensor_get_data (weights, NULL));
  g_object_set_qdata_full (G_OBJECT (weights), conv_fold_quark (), fold, conv_fold_unref);
  gfloat *b = cnnfilt_tensor_get_data (bias, NULL);
  const gfloat *old_b = self->bias ? cnnfilt_tensor_get_data (self->bias, NULL) : NULL;
  const gfloat *sc = cnnfilt_tensor_get_data (scale, NULL), *be = cnnfilt_tensor_get_data (beta, NULL);
  const gfloat *mu = cnnfilt_tensor_get_data (mean, NULL), *va = cnnfilt_tensor_get_data (var, NULL);
  for (guint oc = 0; oc < o; oc++)
    {
      gdouble s = sc[oc] / sqrt ((gdouble) va[oc] + epsilon);
      b[oc] = (gfloat) (((old_b ? old_b[oc] : 0.0) - mu[oc]) * s + be[oc]);
    }
  CnnfiltOp *fused = cnnfilt_op_copy (CNNFILT_OP (self));
  /* the batchnorm's own clamp (a relu given to it) comes with it */
  g_object_set (fused, "weights", weights, "bias", bias, "clamp-min", lo, "clamp-max", hi, NULL);
  return fused;
}

static CnnfiltOp *
cnnfilt_conv2d_fuse (CnnfiltOp *op, CnnfiltOp *next)
{
  CnnfiltConv2d *self = (CnnfiltConv2d *) op;
  const gchar *name = cnnfilt_op_get_name (next);
  gboolean clamped = self->clamp_min != -INFINITY || self->clamp_max != INFINITY;
  if (self->weights == NULL || self->algorithm == CONV_ALGORITHM_REFERENCE)
    return NULL;
  /* the activation comes last: nothing after it folds in */
  if (self->activation_op != NULL)
    return NULL;
  LayerEltwise e;
  if (layer_point_op_get_eltwise (next, &e))
    return layer_fuse_activation (op, next);
  if (g_str_equal (name, "batchnorm"))
    return clamped || self->residual ? NULL : fold_batchnorm (self, next);
  if (g_str_equal (name, "add"))
    {
      /* a residual add: oneDNN adds it as it writes; any clamp of the add's
       * own (a relu fused into it) comes after */
      if (clamped || self->residual || self->algorithm != CONV_ALGORITHM_AUTO)
        return NULL;
      gfloat lo, hi;
      g_object_get (next, "clamp-min", &lo, "clamp-max", &hi, NULL);
      CnnfiltOp *fused = cnnfilt_op_copy (op);
      g_object_set (fused, "residual", TRUE, "clamp-min", lo, "clamp-max", hi, NULL);
      return fused;
    }
  return layer_fuse_clamp (op, self->clamp_min, self->clamp_max, next);
}

/* oneDNN's path reads and writes either layout; the graph may keep
 * tensors channels-last when it has a kernel for this shape. */
static CnnfiltLayoutSupport
cnnfilt_conv2d_layouts (CnnfiltOp *op, const CnnfiltShape *inputs, guint n_inputs)
{
  CnnfiltConv2d *self = (CnnfiltConv2d *) op;
  CnnfiltWindowPlan p;
  if (self->algorithm != CONV_ALGORITHM_AUTO || self->weights == NULL ||
      !conv_plan (self, &inputs[0], &p, NULL))
    return CNNFILT_LAYOUT_SUPPORT_NCHW;
  const ConvParams conv = conv_params (self);
  if (onednn_conv_ensure (&self->onednn, &conv, &inputs[0], &p, CNNFILT_LAYOUT_NHWC,
                          CNNFILT_LAYOUT_NHWC, CNNFILT_LAYOUT_NHWC))
    return CNNFILT_LAYOUT_SUPPORT_INPUT | CNNFILT_LAYOUT_SUPPORT_OUTPUT;
  return CNNFILT_LAYOUT_SUPPORT_NCHW;
}

/* new weights, geometry or epilogue: the plan and its packed weights go,
 * and the activation's op is made anew (validate reports a bad name) */
static void
cnnfilt_conv2d_changed (CnnfiltOp *layer)
{
  CnnfiltConv2d *self = (CnnfiltConv2d *) layer;
  g_clear_pointer (&self->onednn, onednn_conv_free);
  g_clear_pointer (&self->cl, conv_cl_free);
  g_clear_object (&self->activation_op);
  if (self->activation != NULL && *self->activation != '\0')
    self->activation_op = layer_activation_op_new ("conv2d", self->activation, NULL);
}

static void
cnnfilt_conv2d_finalize (GObject *object)
{
  CnnfiltConv2d *self = (CnnfiltConv2d *) object;
  g_clear_pointer (&self->onednn, onednn_conv_free);
  g_clear_pointer (&self->cl, conv_cl_free);
  g_clear_object (&self->activation_op);
  G_OBJECT_CLASS (cnnfilt_conv2d_parent_class)->finalize (object);
}

/* 2·(C/groups)·kh·kw per output value, and one more for the bias */
static guint64
cnnfilt_conv2d_flops (CnnfiltOp *op, const CnnfiltShape *inputs, guint n_inputs,
                      const CnnfiltShape *output)
{
  CnnfiltConv2d *self = (CnnfiltConv2d *) op;
  if (self->weights == NULL || output->c == 0)
    return 0;
  guint64 outputs = cnnfilt_shape_get_size (output);
  guint64 per_output = cnnfilt_tensor_get_size (self->weights) / output->c;
  return 2 * outputs * per_output + (self->bias != NULL ? outputs : 0);
}

static void
cnnfilt_conv2d_class_init (CnnfiltConv2dClass *klass)
{
  CNNFILT_OP_CLASS (klass)->flops = cnnfilt_conv2d_flops;
  CNNFILT_AREA_OP_CLASS (klass)->resolve = cnnfilt_conv2d_resolve;
  CNNFILT_OP_CLASS (klass)->changed = cnnfilt_conv2d_changed;
  CnnfiltOpClass *op_class = CNNFILT_OP_CLASS (klass);
  G_OBJECT_CLASS (klass)->finalize = cnnfilt_conv2d_finalize;
  op_class->name = "conv2d";
  op_class->example = "conv2d weights=w.npy bias=b.npy stride=2 padding=3 ! relu";
  op_class->description = "2-D convolution with learned kernels: stride, padding, dilation, "
                          "groups (depthwise), bias, fused ReLU/ReLU6 and activation";
  op_class->onnx_op_type = "Conv";
  op_class->onnx_inputs = "- weights bias";
  op_class->onnx_attributes = CNNFILT_AREA_OP_ONNX_ATTRIBUTES
      " dilations:dilation-h,dilation-w group:groups kernel_shape:weights[2],weights[3]";
  op_class->n_inputs = 1;
  op_class->validate = cnnfilt_conv2d_validate;
  op_class->infer = cnnfilt_conv2d_infer;
  op_class->run = cnnfilt_conv2d_run;
  op_class->run_cl = cnnfilt_conv2d_run_cl;
  op_class->fuse = cnnfilt_conv2d_fuse;
  op_class->layouts = cnnfilt_conv2d_layouts;
  cnnfilt_op_class_install_properties (CNNFILT_OP_CLASS (klass), conv2d_props, G_N_ELEMENTS (conv2d_props));
}

static void
cnnfilt_conv2d_class_finalize (CnnfiltConv2dClass *klass)
{
}

static void
cnnfilt_conv2d_init (CnnfiltConv2d *self)
{
}
