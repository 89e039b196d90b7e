/* channel-shuffle.c: the channels' groups interleaved, as ShuffleNet's channel shuffle
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Example: cnnfilt run 'conv2d weights=w.npy groups=2 ! channel-shuffle groups=2' -o out/ in/
 *
 * The c channels, seen as `groups` groups of c/groups, are dealt out one
 * from each group in turn: output channel b·groups + a is input channel
 * a·(c/groups) + b. PyTorch writes it as a reshape to (n, groups, c/groups,
 * h, w), a transpose of those two dims and a reshape back, rank 5 on the
 * way, which the importer takes as this one op (cnnfilt-onnx-patterns.c),
 * as OpenCV does. A copy, in either layout: channels-last moves each
 * pixel's channels, channels-first whole planes.
 */
#include "layer.h"

#include <string.h>

/* values from which the CPU copy is split across threads */
#define THREADED_SIZE (1 << 18)

typedef struct {
  CnnfiltOp parent_instance;
  gint groups;
} CnnfiltChannelShuffle;

typedef CnnfiltOpClass CnnfiltChannelShuffleClass;

CNNFILT_DEFINE_OP_TYPE (CnnfiltChannelShuffle, cnnfilt_channel_shuffle, CNNFILT_TYPE_OP)

static const CnnfiltOpProp channel_shuffle_props[] = {
  { "groups", "How many groups the channels form; each output group takes one channel of each",
    CNNFILT_OP_PROP_INT, CNNFILT_OP_PROP_FIELD (CnnfiltChannelShuffle, groups), 1, G_MAXINT, 1,
    NULL, { 0 } },
};

static gboolean
cnnfilt_channel_shuffle_infer (CnnfiltOp *op, const CnnfiltShape *inputs, guint n_inputs,
                               CnnfiltShape *output, GError **error)
{
  CnnfiltChannelShuffle *self = (CnnfiltChannelShuffle *) op;
  if (inputs[0].c % self->groups != 0)
    {
      g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_SHAPE,
                   "channel-shuffle: %u channels do not split into %d groups", inputs[0].c,
                   self->groups);
      return FALSE;
    }
  *output = inputs[0];
  return TRUE;
}

/* the same layout out as in: each value moves within its pixel */
static CnnfiltLayoutSupport
cnnfilt_channel_shuffle_layouts (CnnfiltOp *op, const CnnfiltShape *inputs, guint n_inputs)
{
  return CNNFILT_LAYOUT_SUPPORT_ELEMENTWISE;
}

static gboolean
cnnfilt_channel_shuffle_run (CnnfiltOp *op, const CnnfiltRunContext *ctx, CnnfiltTensor **inputs,
                             guint n_inputs, CnnfiltTensor *output, GError **error)
{
  CnnfiltChannelShuffle *self = (CnnfiltChannelShuffle *) op;
  CnnfiltShape in;
  cnnfilt_tensor_get_shape (inputs[0], &in);
  const guint c = in.c, groups = self->groups, per_group = c / groups;
  const gsize plane = (gsize) in.h * in.w, size = cnnfilt_shape_get_size (&in);
  const gfloat *src = cnnfilt_tensor_get_data (inputs[0], NULL);
  gfloat *dst = cnnfilt_tensor_get_data (output, NULL);
  const gint threads = size >= THREADED_SIZE ? (gint) ctx->n_threads : 1;
  if (cnnfilt_tensor_get_layout (inputs[0]) == CNNFILT_LAYOUT_NHWC)
    {
      const gint64 pixels = (gint64) in.n * plane;
#pragma omp parallel for num_threads (threads) schedule (static) if (threads > 1)
      for (gint64 p = 0; p < pixels; p++)
        {
          const gfloat *x = src + p * c;
          gfloat *y = dst + p * c;
          for (guint b = 0; b < per_group; b++)
            for (guint a = 0; a < groups; a++)
              y[b * groups + a] = x[a * per_group + b];
        }
      return TRUE;
    }
  const gint64 planes = (gint64) in.n * c;
#pragma omp parallel for num_threads (threads) schedule (static) if (threads > 1)
  for (gint64 p = 0; p < planes; p++)
    {
      const guint o = p % c, a = o % groups, b = o / groups;
      memcpy (dst + p * plane, src + ((p - o) + a * per_group + b) * plane, plane * sizeof (gfloat));
    }
  return TRUE;
}

static gboolean
cnnfilt_channel_shuffle_run_cl (CnnfiltOp *op, const CnnfiltRunContext *ctx,
                                CnnfiltTensor **inputs, guint n_inputs, CnnfiltTensor *output,
                                GError **error)
{
  CnnfiltChannelShuffle *self = (CnnfiltChannelShuffle *) op;
  const gchar *source = cnnfilt_kernel_source_from_resource ("/org/cnnfilt/cnn/channel-shuffle.cl",
                                                              error);
  if (source == NULL)
    return FALSE;
  CnnfiltShape in;
  cnnfilt_tensor_get_shape (inputs[0], &in);
  gsize total = cnnfilt_shape_get_size (&in);
  if (total > G_MAXINT)
    {
      g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_SHAPE,
                   "channel-shuffle: more values than one OpenCL launch takes");
      return FALSE;
    }
  const CnnfiltKernelArg args[] = {
    CNNFILT_KERNEL_IN (inputs[0]), CNNFILT_KERNEL_OUT (output), CNNFILT_KERNEL_INT (in.c),
    CNNFILT_KERNEL_INT ((gsize) in.h * in.w), CNNFILT_KERNEL_INT (self->groups),
    CNNFILT_KERNEL_INT (total),
  };
  CnnfiltKernelLaunch launch = { source, NULL, "channel_shuffle", 1, { total } };
  return cnnfilt_kernel_run (op, ctx, &launch, args, G_N_ELEMENTS (args), error);
}

static void
cnnfilt_channel_shuffle_class_init (CnnfiltChannelShuffleClass *klass)
{
  CnnfiltOpClass *op_class = CNNFILT_OP_CLASS (klass);
  op_class->flops_per_output = 0;
  op_class->name = "channel-shuffle";
  op_class->example = "conv2d weights=w.npy groups=2 ! channel-shuffle groups=2";
  op_class->description = "Channel shuffle: the channels' groups interleaved, output channel "
                          "b·groups + a from input channel a·(c/groups) + b (ShuffleNet)";
  op_class->n_inputs = 1;
  op_class->infer = cnnfilt_channel_shuffle_infer;
  op_class->layouts = cnnfilt_channel_shuffle_layouts;
  op_class->run = cnnfilt_channel_shuffle_run;
  op_class->run_cl = cnnfilt_channel_shuffle_run_cl;
  cnnfilt_op_class_install_properties (op_class, channel_shuffle_props,
                                       G_N_ELEMENTS (channel_shuffle_props));
}

LAYER_NO_INIT (CnnfiltChannelShuffle, cnnfilt_channel_shuffle)
