/* resample.h: what interpolate and upsample share
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Both resize the planes of a tensor (ONNX's Resize and Upsample): each
 * output row and column maps to a coordinate of the input, and its value
 * is a weighted sum of the 1 (nearest), 2 (linear) or 4 (cubic) input
 * rows and columns around it, separably. resample.c holds the tables of
 * those taps, the shape, the loop and the OpenCL launch (resample.cl);
 * the two ops differ in which properties they show and in their ONNX
 * mapping. The plugin's image `resize` is another op: a picture's
 * preparation (aspect ratio, area averaging when shrinking), not a layer.
 */
#pragma once

#include "layer.h"

G_BEGIN_DECLS

/* How an output value is made from the input values around its coordinate. */
typedef enum {
  RESAMPLE_NEAREST,
  RESAMPLE_LINEAR,
  RESAMPLE_CUBIC,
} ResampleMode;
GType cnnfilt_resample_mode_get_type (void);

/* Where output index x falls on the input (ONNX's coordinate_transformation_mode). */
typedef enum {
  RESAMPLE_HALF_PIXEL,
  RESAMPLE_PYTORCH_HALF_PIXEL,
  RESAMPLE_ALIGN_CORNERS,
  RESAMPLE_ASYMMETRIC,
  RESAMPLE_TF_HALF_PIXEL_FOR_NN,
} ResampleCoordinates;
GType cnnfilt_resample_coordinates_get_type (void);

/* Which input index nearest takes for a coordinate between two. */
typedef enum {
  RESAMPLE_ROUND_PREFER_FLOOR,
  RESAMPLE_ROUND_PREFER_CEIL,
  RESAMPLE_FLOOR,
  RESAMPLE_CEIL,
} ResampleNearestMode;
GType cnnfilt_resample_nearest_mode_get_type (void);

/* The instance of both ops. An axis is resized by its scale, or to its
 * size: exactly one of the two is given (non-zero). */
typedef struct {
  CnnfiltOp parent_instance;
  gint mode;
  gint coordinates;
  gint nearest_mode;
  gdouble scale_h, scale_w;
  guint height, width;
  guint batch, channels;
  gfloat cubic_coeff_a;
  gboolean exclude_outside;
  /* resample.cl's tables for the shapes last run on OpenCL */
  CnnfiltShape cl_in, cl_out;
  CnnfiltTensor *cl_rows, *cl_columns;
} LayerResample;

/* The scale rows; @note_h and @note_w, string literals, end their blurbs. */
#define RESAMPLE_SCALE_PROPS(note_h, note_w)                                                   \
  { "scale-h", "Output rows per input row (2 doubles the height)" note_h,                      \
    CNNFILT_OP_PROP_DOUBLE, CNNFILT_OP_PROP_FIELD (LayerResample, scale_h), 0, 65536, 0, NULL, \
    { 0 }, NULL, 0 },                                                                          \
  { "scale-w", "Output columns per input column" note_w,                                       \
    CNNFILT_OP_PROP_DOUBLE, CNNFILT_OP_PROP_FIELD (LayerResample, scale_w), 0, 65536, 0, NULL, \
    { 0 }, NULL, 0 }

/* The class hooks the two share. */
gboolean resample_validate (CnnfiltOp *op, GError **error);
gboolean resample_infer (CnnfiltOp *op, const CnnfiltShape *inputs, guint n_inputs,
                         CnnfiltShape *output, GError **error);
gboolean resample_run (CnnfiltOp *op, const CnnfiltRunContext *ctx, CnnfiltTensor **inputs,
                       guint n_inputs, CnnfiltTensor *output, GError **error);
gboolean resample_run_cl (CnnfiltOp *op, const CnnfiltRunContext *ctx, CnnfiltTensor **inputs,
                          guint n_inputs, CnnfiltTensor *output, GError **error);
guint64 resample_flops (CnnfiltOp *op, const CnnfiltShape *inputs, guint n_inputs,
                        const CnnfiltShape *output);
/* new properties: the OpenCL tables go (also each op's finalize) */
void resample_changed (CnnfiltOp *op);

G_END_DECLS
