/* upsample.c: planes enlarged by a scale, as ONNX's Upsample and PyTorch's nn.Upsample
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Example: cnnfilt run 'conv2d weights=w.npy ! upsample scale-h=2 scale-w=2' -o out/ in/
 *
 * Output index x reads input coordinate x / scale (ONNX's Upsample, before
 * Resize had coordinate modes): nearest takes its floor, linear the two
 * pixels around it. The output is floor(in × scale) long. This is
 * interpolate with those modes fixed (resample.c computes both).
 *
 * ONNX: Upsample 7 takes the scales as an attribute, 9 as a constant second
 * input; scales other than 1 on n and c, and inputs of another rank than 4,
 * are refused, as is the experimental Upsample 1 (height_scale,
 * width_scale).
 */
#include "resample.h"

typedef LayerResample CnnfiltUpsample;
typedef CnnfiltOpClass CnnfiltUpsampleClass;

CNNFILT_DEFINE_OP_TYPE (CnnfiltUpsample, cnnfilt_upsample, CNNFILT_TYPE_OP)

/* Upsample's two modes, of ResampleMode's values */
static GType
upsample_mode_get_type (void)
{
  static gsize type = 0;
  if (g_once_init_enter (&type))
    {
      static const GEnumValue values[] = {
        { RESAMPLE_NEAREST, "CNNFILT_UPSAMPLE_NEAREST", "nearest" },
        { RESAMPLE_LINEAR, "CNNFILT_UPSAMPLE_LINEAR", "linear" },
        { 0, NULL, NULL },
      };
      g_once_init_leave (&type, g_enum_register_static ("CnnfiltUpsampleMode", values));
    }
  return type;
}

static const CnnfiltOpProp upsample_props[] = {
  RESAMPLE_SCALE_PROPS ("", ""),
  { "mode", "nearest: the input value at floor(x / scale); linear: bilinear over h and w",
    CNNFILT_OP_PROP_ENUM, CNNFILT_OP_PROP_FIELD (LayerResample, mode), 0, 0, RESAMPLE_NEAREST,
    upsample_mode_get_type, { 0 }, NULL, 0 },
};

static gboolean
cnnfilt_upsample_validate (CnnfiltOp *op, GError **error)
{
  LayerResample *self = (LayerResample *) op;
  if (self->scale_h == 0 || self->scale_w == 0)
    {
      g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_INVALID_ARGUMENT,
                   "upsample: give scale-h and scale-w");
      return FALSE;
    }
  return TRUE;
}

static void
cnnfilt_upsample_finalize (GObject *object)
{
  resample_changed (CNNFILT_OP (object));
  G_OBJECT_CLASS (cnnfilt_upsample_parent_class)->finalize (object);
}

static void
cnnfilt_upsample_class_init (CnnfiltUpsampleClass *klass)
{
  CnnfiltOpClass *op_class = CNNFILT_OP_CLASS (klass);
  G_OBJECT_CLASS (klass)->finalize = cnnfilt_upsample_finalize;
  op_class->name = "upsample";
  op_class->example = "conv2d weights=w.npy ! upsample scale-h=2 scale-w=2";
  op_class->description = "Enlarges each plane by a scale: nearest (floor(x / scale)) or "
                          "bilinear, as ONNX's Upsample";
  op_class->onnx_op_type = "Upsample";
  op_class->onnx_inputs = "- scales@9-";
  op_class->onnx_attributes = "mode:mode scales@7-:1,1,scale-h,scale-w =RANK:4";
  op_class->n_inputs = 1;
  op_class->validate = cnnfilt_upsample_validate;
  op_class->infer = resample_infer;
  op_class->run = resample_run;
  op_class->run_cl = resample_run_cl;
  op_class->flops = resample_flops;
  op_class->changed = resample_changed;
  cnnfilt_op_class_install_properties (op_class, upsample_props, G_N_ELEMENTS (upsample_props));
}

static void
cnnfilt_upsample_class_finalize (CnnfiltUpsampleClass *klass)
{
}

/* the coordinates of ONNX's Upsample: x / scale, floored for nearest */
static void
cnnfilt_upsample_init (CnnfiltUpsample *self)
{
  self->coordinates = RESAMPLE_ASYMMETRIC;
  self->nearest_mode = RESAMPLE_FLOOR;
}
