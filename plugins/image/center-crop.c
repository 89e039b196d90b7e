/* center-crop.c: the middle of each image
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Example: cnnfilt run 'resize shorter=256 ! center-crop width=224 height=224' -o out/ photos/
 *
 * The offsets are rounded half to even, as torchvision's CenterCrop does, so
 * the pixels match its preprocessing exactly.
 */
#include <cnnfilt.h>

#include <math.h>
#include <string.h>

typedef struct {
  CnnfiltOp parent_instance;
  guint width, height;
} CnnfiltCenterCrop;

typedef struct {
  CnnfiltOpClass parent_class;
} CnnfiltCenterCropClass;

CNNFILT_DEFINE_OP_TYPE (CnnfiltCenterCrop, cnnfilt_center_crop, CNNFILT_TYPE_OP)

static const CnnfiltOpProp center_crop_props[] = {
  { "width", "Width kept", CNNFILT_OP_PROP_UINT,
    CNNFILT_OP_PROP_FIELD (CnnfiltCenterCrop, width), 1, 65536, 224, NULL, { 0 } },
  { "height", "Height kept", CNNFILT_OP_PROP_UINT,
    CNNFILT_OP_PROP_FIELD (CnnfiltCenterCrop, height), 1, 65536, 224, NULL, { 0 } },
};

static gboolean
cnnfilt_center_crop_infer (CnnfiltOp *op, const CnnfiltShape *inputs, guint n_inputs,
                           CnnfiltShape *output, GError **error)
{
  CnnfiltCenterCrop *self = (CnnfiltCenterCrop *) op;
  if (self->width > inputs[0].w || self->height > inputs[0].h)
    {
      g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_SHAPE,
                   "center-crop: %ux%u does not fit in the %ux%u image (resize it first)",
                   self->width, self->height, inputs[0].w, inputs[0].h);
      return FALSE;
    }
  *output = inputs[0];
  output->w = self->width;
  output->h = self->height;
  return TRUE;
}

static gboolean
cnnfilt_center_crop_run (CnnfiltOp *op, const CnnfiltRunContext *ctx,
                         CnnfiltTensor **inputs, guint n_inputs,
                         CnnfiltTensor *output, GError **error)
{
  CnnfiltCenterCrop *self = (CnnfiltCenterCrop *) op;
  CnnfiltShape in;
  cnnfilt_tensor_get_shape (inputs[0], &in);
  guint top = (guint) rint ((in.h - self->height) / 2.0);
  guint left = (guint) rint ((in.w - self->width) / 2.0);
  const gfloat *src = cnnfilt_tensor_get_data (inputs[0], NULL);
  gfloat *dst = cnnfilt_tensor_get_data (output, NULL);
  for (gsize p = 0; p < (gsize) in.n * in.c; p++)
    for (guint y = 0; y < self->height; y++)
      memcpy (dst + (p * self->height + y) * self->width,
              src + (p * in.h + top + y) * in.w + left, self->width * sizeof (gfloat));
  return TRUE;
}

static gboolean
cnnfilt_center_crop_run_cl (CnnfiltOp *op, const CnnfiltRunContext *ctx,
                            CnnfiltTensor **inputs, guint n_inputs,
                            CnnfiltTensor *output, GError **error)
{
  CnnfiltCenterCrop *self = (CnnfiltCenterCrop *) op;
  CnnfiltShape in;
  cnnfilt_tensor_get_shape (inputs[0], &in);
  CnnfiltKernelRegion region = {
    .n = in.n, .c = in.c, .h = self->height, .w = self->width, .src_c_step = 1,
    .src_y = (guint) rint ((in.h - self->height) / 2.0),
    .src_x = (guint) rint ((in.w - self->width) / 2.0),
  };
  return cnnfilt_kernel_copy (op, ctx, inputs[0], output, &region, error);
}

static void
cnnfilt_center_crop_class_init (CnnfiltCenterCropClass *klass)
{
  CnnfiltOpClass *op_class = CNNFILT_OP_CLASS (klass);
  op_class->name = "center-crop";
  op_class->description = "The middle width×height of each image (torchvision's CenterCrop)";
  op_class->example = "resize shorter=256 ! center-crop width=224 height=224";
  op_class->n_inputs = 1;
  op_class->infer = cnnfilt_center_crop_infer;
  op_class->run = cnnfilt_center_crop_run;
  op_class->run_cl = cnnfilt_center_crop_run_cl;
  cnnfilt_op_class_install_properties (op_class, center_crop_props,
                                       G_N_ELEMENTS (center_crop_props));
}

static void
cnnfilt_center_crop_class_finalize (CnnfiltCenterCropClass *klass)
{
}

static void
cnnfilt_center_crop_init (CnnfiltCenterCrop *self)
{
}
