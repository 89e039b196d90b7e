/* cnnfilt-preprocess.c: the input preparation models expect
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * torchvision's evaluation transform for ImageNet models, as a pipeline:
 * Resize(256) on the shorter side, CenterCrop(224), ToTensor, Normalize
 * with ImageNet's mean and std, scaled to the model's own input size.
 * `cnnfilt classify` and `cnnfilt features` use it, and so can any program.
 */
#include "cnnfilt-preprocess.h"
#include "cnnfilt-parse.h"

/**
 * cnnfilt_imagenet_resize:
 * @input: the model's input shape (n × c × h × w)
 * @resize: the shorter side to resize to, or 0 for torchvision's default
 *
 * Returns: the side the shorter side of a photo is resized to before the
 *   centre crop: @resize, or 256/224 of the model's smaller side (256 for
 *   224×224 models), rounded
 */
guint
cnnfilt_imagenet_resize (const CnnfiltShape *input, guint resize)
{
  g_return_val_if_fail (input != NULL, 0);
  return resize ? resize : (guint) (MIN (input->h, input->w) * 256.0 / 224.0 + 0.5);
}

/**
 * cnnfilt_imagenet_pipeline:
 * @input: the model's input shape (n × c × h × w)
 * @resize: the shorter side to resize to, or 0 for torchvision's default
 * @mean: (nullable): per-channel means to subtract ("0.485,0.456,0.406"),
 *   or %NULL for ImageNet's on colour models and none on grey ones
 * @std: (nullable): per-channel standard deviations, as @mean
 *
 * The pipeline that turns a decoded photo into what a model taking @input
 * expects, as torchvision's evaluation transform does: grey or RGB as the
 * model's channels say, the shorter side resized, the centre cropped to the
 * model's height and width, and standardized.
 *
 * Returns: (transfer full): the pipeline text, for
 *   cnnfilt_graph_new_from_string()
 */
gchar *
cnnfilt_imagenet_pipeline (const CnnfiltShape *input, guint resize, const gchar *mean,
                           const gchar *std)
{
  g_return_val_if_fail (input != NULL, NULL);
  GString *text = g_string_new (input->c == 1 ? "grayscale" : "rgb");
  g_string_append_printf (text, " ! resize shorter=%u ! center-crop width=%u height=%u",
                          cnnfilt_imagenet_resize (input, resize), input->w, input->h);
  /* ImageNet's statistics by default, for colour models; grey models get
   * [0, 1] values unless told otherwise */
  if (input->c == 3 || mean != NULL || std != NULL)
    {
      g_string_append (text, " ! standardize");
      if (mean != NULL)
        g_string_append_printf (text, " mean='%s'", mean);
      if (std != NULL)
        g_string_append_printf (text, " std='%s'", std);
    }
  return g_string_free (text, FALSE);
}

/**
 * cnnfilt_graph_new_imagenet:
 * @input: the model's input shape (n × c × h × w), as
 *   cnnfilt_graph_get_input_shape() gives it
 * @resize: the shorter side to resize to, or 0 for torchvision's default
 * @mean: (nullable): per-channel means, or %NULL for the default
 * @std: (nullable): per-channel standard deviations, or %NULL
 * @error: return location for a #GError
 *
 * The graph of cnnfilt_imagenet_pipeline(): run it on a photo from
 * cnnfilt_image_load(), then the model on its output.
 *
 * Returns: (transfer full): the graph, or %NULL with @error set (a @mean
 *   or @std that does not parse)
 */
CnnfiltGraph *
cnnfilt_graph_new_imagenet (const CnnfiltShape *input, guint resize, const gchar *mean,
                            const gchar *std, GError **error)
{
  g_return_val_if_fail (input != NULL, NULL);
  g_autofree gchar *text = cnnfilt_imagenet_pipeline (input, resize, mean, std);
  return cnnfilt_graph_new_from_string (text, error);
}
