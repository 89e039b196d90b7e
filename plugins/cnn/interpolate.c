/* interpolate.c: planes resized by a scale or to a size, as ONNX's Resize
 * and PyTorch's F.interpolate
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Example: cnnfilt run 'conv2d weights=w.npy ! interpolate scale-h=2 scale-w=2 mode=linear' -o out/ in/
 *
 * Nearest, bilinear or bicubic over h and w, with ONNX's coordinate and
 * nearest modes (resample.c has the taps). PyTorch's F.interpolate is
 * mode=nearest coordinate-transformation-mode=asymmetric
 * nearest-mode=floor for its "nearest", and mode=linear (or cubic) with
 * half-pixel, or align-corners where align_corners=True.
 *
 * ONNX: Resize 10 takes the scales as its second input and has no
 * coordinate or nearest mode; it is read as asymmetric and floor, as the
 * ONNX version converter to opset 11 does. From opset 11 the inputs are
 * roi, scales and sizes, each optional (an empty name or an empty tensor
 * for the unused one); roi matters only to tf_crop_and_resize, which is
 * refused (not a value of coordinate-transformation-mode), as are scales
 * other than 1 and sizes other than the input's on n and c, and inputs of
 * another rank than 4.
 *
 * The image plugin's `resize` is not this op: it prepares pictures (sides
 * from the aspect ratio or the shorter side, area averaging when
 * shrinking), while this one is a layer that computes what the model's
 * Resize says.
 */
#include "resample.h"

typedef LayerResample CnnfiltInterpolate;
typedef CnnfiltOpClass CnnfiltInterpolateClass;

CNNFILT_DEFINE_OP_TYPE (CnnfiltInterpolate, cnnfilt_interpolate, CNNFILT_TYPE_OP)

#define SIDE_MAX (1 << 24)

static const CnnfiltOpProp interpolate_props[] = {
  RESAMPLE_SCALE_PROPS ("; 0 where height is given", "; 0 where width is given"),
  { "height", "Output rows; 0 where scale-h is given", CNNFILT_OP_PROP_UINT,
    CNNFILT_OP_PROP_FIELD (LayerResample, height), 0, SIDE_MAX, 0, NULL, { 0 }, NULL, 0 },
  { "width", "Output columns; 0 where scale-w is given", CNNFILT_OP_PROP_UINT,
    CNNFILT_OP_PROP_FIELD (LayerResample, width), 0, SIDE_MAX, 0, NULL, { 0 }, NULL, 0 },
  { "mode", "nearest: the nearest input value; linear: bilinear over h and w; cubic: bicubic "
    "(Keys, with cubic-coeff-a)", CNNFILT_OP_PROP_ENUM,
    CNNFILT_OP_PROP_FIELD (LayerResample, mode), 0, 0, RESAMPLE_NEAREST,
    cnnfilt_resample_mode_get_type, { 0 }, NULL, 0 },
  { "coordinate-transformation-mode", "Where output index x falls on the input: half-pixel "
    "((x + 0.5) / scale - 0.5, pixel centres aligned), pytorch-half-pixel (the same, but -0.5 for "
    "an output of length 1), align-corners (corner pixels aligned), asymmetric (x / scale), "
    "tf-half-pixel-for-nn ((x + 0.5) / scale)", CNNFILT_OP_PROP_ENUM,
    CNNFILT_OP_PROP_FIELD (LayerResample, coordinates), 0, 0, RESAMPLE_HALF_PIXEL,
    cnnfilt_resample_coordinates_get_type, { 0 }, NULL, 0 },
  { "nearest-mode", "How nearest rounds a coordinate between two input pixels: "
    "round-prefer-floor, round-prefer-ceil, floor or ceil", CNNFILT_OP_PROP_ENUM,
    CNNFILT_OP_PROP_FIELD (LayerResample, nearest_mode), 0, 0, RESAMPLE_ROUND_PREFER_FLOOR,
    cnnfilt_resample_nearest_mode_get_type, { 0 }, NULL, 0 },
  { "cubic-coeff-a", "The a of cubic's weights: -0.75 as PyTorch, -0.5 as TensorFlow",
    CNNFILT_OP_PROP_FLOAT, CNNFILT_OP_PROP_FIELD (LayerResample, cubic_coeff_a), -100, 100, -0.75,
    NULL, { 0 }, NULL, 0 },
  { "exclude-outside", "linear and cubic: taps outside the input weigh 0 and the others are "
    "scaled to sum to 1, rather than read the edge value", CNNFILT_OP_PROP_BOOLEAN,
    CNNFILT_OP_PROP_FIELD (LayerResample, exclude_outside), 0, 1, 0, NULL, { 0 }, NULL, 0 },
  { "batch", "Images of the output as a model states them (ONNX's sizes); 0: the input's, the "
    "only number allowed", CNNFILT_OP_PROP_UINT, CNNFILT_OP_PROP_FIELD (LayerResample, batch), 0,
    G_MAXINT, 0, NULL, { 0 }, NULL, 0 },
  { "channels", "Channels of the output as a model states them; 0: the input's, the only number "
    "allowed", CNNFILT_OP_PROP_UINT, CNNFILT_OP_PROP_FIELD (LayerResample, channels), 0, G_MAXINT,
    0, NULL, { 0 }, NULL, 0 },
};

static void
cnnfilt_interpolate_finalize (GObject *object)
{
  resample_changed (CNNFILT_OP (object));
  G_OBJECT_CLASS (cnnfilt_interpolate_parent_class)->finalize (object);
}

static void
cnnfilt_interpolate_class_init (CnnfiltInterpolateClass *klass)
{
  CnnfiltOpClass *op_class = CNNFILT_OP_CLASS (klass);
  G_OBJECT_CLASS (klass)->finalize = cnnfilt_interpolate_finalize;
  op_class->name = "interpolate";
  op_class->example = "conv2d weights=w.npy ! interpolate scale-h=2 scale-w=2 mode=linear";
  op_class->description = "Resizes each plane by a scale or to a size: nearest, bilinear or "
                          "bicubic, with ONNX's coordinate modes";
  op_class->onnx_op_type = "Resize";
  op_class->onnx_inputs = "- scales@-10|roi scales sizes";
  op_class->onnx_attributes =
      "mode:mode coordinate_transformation_mode@11-:coordinate-transformation-mode "
      "nearest_mode@11-:nearest-mode cubic_coeff_a@11-:cubic-coeff-a "
      "exclude_outside@11-:exclude-outside extrapolation_value@11-: roi@11-: "
      "@-10=asymmetric:coordinate-transformation-mode @-10=floor:nearest-mode "
      "scales:1,1,scale-h,scale-w... sizes@11-:batch,channels,height,width... =RANK:4";
  op_class->n_inputs = 1;
  op_class->validate = resample_validate;
  op_class->infer = resample_infer;
  op_class->run = resample_run;
  op_class->run_cl = resample_run_cl;
  op_class->flops = resample_flops;
  op_class->changed = resample_changed;
  cnnfilt_op_class_install_properties (op_class, interpolate_props, G_N_ELEMENTS (interpolate_props));
}

LAYER_NO_INIT (CnnfiltInterpolate, cnnfilt_interpolate)
