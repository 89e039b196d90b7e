/* features.c: `cnnfilt features -m MODEL.onnx --layer NAME IMAGE -o maps.png`
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * What a layer of a CNN sees: the activation maps of one image at any
 * layer, or the learned kernels of a conv layer (--filters), tiled into
 * one picture with a colour map, each tile numbered and a title on top.
 * A .npy output keeps the layer's raw float32 values instead.
 */
#include "cnnfilt-cli.h"
#include "plan.h"

#include <stdio.h>
#include <string.h>

/* The tensor @layer of @graph computes for @image. */
static CnnfiltTensor *
activations (CnnfiltGraph *graph, const gchar *layer, const gchar *preprocess, const gchar *image,
             BatchOptions *options, guint shrink_to, GError **error)
{
  g_autoptr (CnnfiltGraph) pre = cnnfilt_graph_new_from_string (preprocess, error);
  if (pre == NULL)
    {
      g_prefix_error (error, "preprocessing '%s': ", preprocess);
      return NULL;
    }
  g_autoptr (CnnfiltTensor) input = g_object_new (CNNFILT_TYPE_TENSOR, NULL);
  if (!batch_load_image (options, image, input, shrink_to, error) ||
      !cnnfilt_graph_run (pre, &input, 1, error))
    return NULL;
  g_autoptr (CnnfiltTensor) x = cnnfilt_graph_get_output (pre, 0);
  if (!cnnfilt_graph_add_output (graph, layer, error) || !cnnfilt_graph_run (graph, &x, 1, error))
    return NULL;
  return cnnfilt_graph_get_output (graph, cnnfilt_graph_get_n_outputs (graph) - 1);
}

static gboolean
parse_colormap (const gchar *name, CnnfiltColormap *map)
{
  if (name == NULL || g_str_equal (name, "viridis"))
    *map = CNNFILT_COLORMAP_VIRIDIS;
  else if (g_str_equal (name, "gray") || g_str_equal (name, "grey"))
    *map = CNNFILT_COLORMAP_GRAY;
  else if (g_str_equal (name, "diverging"))
    *map = CNNFILT_COLORMAP_DIVERGING;
  else
    return FALSE;
  return TRUE;
}

int
command_features (int argc, char **argv)
{
  g_autofree gchar *model_path = NULL, *layer = NULL, *output = NULL, *preprocess = NULL;
  g_autofree gchar *colormap_name = NULL, *range = NULL;
  gboolean filters = FALSE, no_labels = FALSE;
  gint columns = 0, tile = 64, max_tiles = 1024, size = 0;
  BatchOptions load;
  batch_options_init (&load, FALSE, 0);
  gboolean full_decode = FALSE;
  GOptionEntry entries[] = {
    { "full-decode", 0, 0, G_OPTION_ARG_NONE, &full_decode,
      "Decode a large photo at full resolution before resizing, as torchvision does", NULL },
    { "max-pixels", 0, 0, G_OPTION_ARG_INT64, &load.max_pixels,
      "Refuse an image over N pixels as decoded, before decoding it (default 100000000; 0: no limit)",
      "N" },
    { "no-autorotate", 0, 0, G_OPTION_ARG_NONE, &load.no_autorotate,
      "Keep the stored pixels: do not turn the photo upright by its EXIF orientation", NULL },
    { "model", 'm', 0, G_OPTION_ARG_FILENAME, &model_path, "The ONNX model (required)", "MODEL.onnx" },
    { "layer", 'l', 0, G_OPTION_ARG_STRING, &layer,
      "The layer, as 'cnnfilt model info' names it (required)", "NAME" },
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &output,
      "The picture (.png, .jpg, .tif …), or .npy for the raw float32 values (required)", "FILE" },
    { "filters", 'f', 0, G_OPTION_ARG_NONE, &filters,
      "Show the conv layer's learned kernels instead of activations (no image needed)", NULL },
    { "colormap", 'c', 0, G_OPTION_ARG_STRING, &colormap_name,
      "viridis (default), gray or diverging", "MAP" },
    { "range", 0, 0, G_OPTION_ARG_STRING, &range,
      "map: each map stretched to its own min..max (default); layer: one scale for all "
      "(the default for maps of one value)", "map|layer" },
    { "columns", 0, 0, G_OPTION_ARG_INT, &columns, "Tiles per row (default: a square grid)", "N" },
    { "tile", 't', 0, G_OPTION_ARG_INT, &tile,
      "Smallest tile side in pixels, up to 4096; small maps are enlarged by whole factors "
      "(default 64)", "PX" },
    { "max", 0, 0, G_OPTION_ARG_INT, &max_tiles, "At most this many tiles, the first ones (default 1024)", "N" },
    { "no-labels", 0, 0, G_OPTION_ARG_NONE, &no_labels, "No title and no tile numbers", NULL },
    { "size", 's', 0, G_OPTION_ARG_INT, &size,
      "Side of the square centre crop the model sees (default: the model's input size, "
      "224 where it leaves the size free)", "N" },
    { "preprocess", 'p', 0, G_OPTION_ARG_STRING, &preprocess,
      "A pipeline replacing the default preprocessing (as in 'cnnfilt classify')", "PIPELINE" },
    { NULL },
  };
  g_autoptr (GOptionContext) context = g_option_context_new ("[IMAGE] — what a layer of a CNN sees");
  g_option_context_add_main_entries (context, entries, NULL);
  g_option_context_set_summary (
      context,
      "Tiles the activation maps of one image at a layer into one picture, one tile\n"
      "per channel, numbered, with the model, layer and shape as title:\n"
      "  cnnfilt features -m resnet18.onnx -l /layer1/layer1.0/relu/Relu cat.jpg -o maps.png\n"
      "With --filters, the layer's learned kernels instead, no image needed: in colour\n"
      "when they read RGB (a first layer), else one tile per input channel (O.C), on a\n"
      "diverging map; white is zero and the scale is the largest |weight|.\n"
      "'cnnfilt model info MODEL' lists the layer names.");
  g_option_context_set_description (
      context,
      "The image is preprocessed as by 'cnnfilt classify' (colour, resize, centre crop,\n"
      "ImageNet standardization), or by --preprocess. The output is written under a\n"
      "temporary name and renamed. Errors (a missing layer, an image that cannot be read)\n"
      "exit with 1, wrong options with 2.");
  if (!cli_parse (context, &argc, &argv, "features"))
    return EXIT_USAGE;
  CnnfiltColormap colormap;
  if (model_path == NULL || layer == NULL || output == NULL)
    {
      cli_error ("features: give -m MODEL.onnx, --layer NAME and -o FILE (see 'cnnfilt features --help')");
      return EXIT_USAGE;
    }
  if (filters ? argc != 1 : argc != 2)
    {
      cli_error (filters ? "features: --filters takes no image"
                         : "features: give one image (see 'cnnfilt features --help')");
      return EXIT_USAGE;
    }
  if (!parse_colormap (colormap_name, &colormap))
    {
      cli_error ("features: --colormap %s: expected viridis, gray or diverging", colormap_name);
      return EXIT_USAGE;
    }
  if (range != NULL && !g_str_equal (range, "map") && !g_str_equal (range, "layer"))
    {
      cli_error ("features: --range %s: expected map or layer", range);
      return EXIT_USAGE;
    }
  /* A tile is for looking at: past 4096 pixels a side, a few maps would
   * make a picture of gigabytes. */
  const struct {
    const gchar *option;
    gint value, least, most;
    const gchar *expected;
  } numbers[] = {
    { "columns", columns, 0, G_MAXINT, "1 or more tiles a row (0: a square grid)" },
    { "tile", tile, 1, 4096, "1 to 4096 pixels a tile side" },
    { "max", max_tiles, 1, G_MAXINT, "1 or more tiles" },
    { "size", size, 0, G_MAXINT, "a side in pixels (0: the model's input size)" },
  };
  for (guint i = 0; i < G_N_ELEMENTS (numbers); i++)
    if (numbers[i].value < numbers[i].least || numbers[i].value > numbers[i].most)
      {
        cli_error ("features: --%s %d: expected %s", numbers[i].option, numbers[i].value,
                   numbers[i].expected);
        return EXIT_USAGE;
      }
  if (!cnnfilt_image_format_is_known (output))
    {
      cli_error ("features: -o %s: not a format cnnfilt writes (png, jpg, tif, npy …)", output);
      return EXIT_USAGE;
    }
  if (load.max_pixels < 0)
    {
      cli_error ("features: --max-pixels %" G_GINT64_FORMAT ": expected 0 (no limit) or more",
                 load.max_pixels);
      return EXIT_USAGE;
    }
  /* the picture never replaces the photo or the model it is made from */
  const gchar *const sources[] = { model_path, filters ? NULL : argv[1], NULL };
  const gchar *replaced = plan_output_replaces (output, sources);
  if (replaced != NULL)
    {
      cli_error ("features: -o %s would overwrite the input %s; choose another file", output,
                 replaced);
      return EXIT_USAGE;
    }

  g_autoptr (CnnfiltGraph) graph = cli_load_model (model_path);
  if (graph == NULL)
    return EXIT_INPUT_FAILED;
  CnnfiltOp *op = cnnfilt_graph_get_op (graph, layer); /* NULL for inputs and constants too */
  if (op == NULL)
    {
      fprintf (stderr, "%s: no layer '%s' ('cnnfilt model info %s' lists them)\n", model_path, layer,
               model_path);
      return EXIT_INPUT_FAILED;
    }
  g_autoptr (GError) error = NULL;
  g_autoptr (CnnfiltTensor) values = NULL;
  g_autofree gchar *title = NULL;
  g_autofree gchar *model_name = g_path_get_basename (model_path);
  if (filters)
    {
      /* filters: learned weights slid as a window over the input */
      GParamSpec *spec = g_object_class_find_property (G_OBJECT_GET_CLASS (op), "weights");
      CnnfiltOpWindow window;
      if (spec == NULL || !g_type_is_a (spec->value_type, CNNFILT_TYPE_TENSOR) ||
          !cnnfilt_op_get_window (op, &window) || window.is_global)
        {
          fprintf (stderr, "%s: layer '%s' is a %s, not a convolution: it has no filters\n",
                   model_path, layer, cnnfilt_op_get_name (op));
          return EXIT_INPUT_FAILED;
        }
      g_object_get (op, "weights", &values, NULL);
      if (values == NULL)
        {
          /* weights read from a graph input or a computed tensor */
          fprintf (stderr, "%s: layer '%s' takes its weights as an input, not as constants\n",
                   model_path, layer);
          return EXIT_INPUT_FAILED;
        }
    }
  else
    {
      CnnfiltShape image, declared = { 0 };
      cli_model_input_shape (graph, &image);
      cnnfilt_graph_get_input_shape (graph, 0, &declared);
      if (size > 0)
        image.h = image.w = (guint) size;
      else if (preprocess == NULL && (declared.h == 0 || declared.w == 0))
        fprintf (stderr, "%s: input height and width are free; assumed %u×%u (give --size)\n",
                 model_path, image.h, image.w);
      g_autofree gchar *pipeline = preprocess ? g_strdup (preprocess)
                                              : cnnfilt_imagenet_pipeline (&image, 0, NULL, NULL);
      /* the default pipeline resizes first: decode large photos reduced */
      guint shrink_to = preprocess || full_decode ? 0 : cnnfilt_imagenet_resize (&image, 0);
      values = activations (graph, layer, pipeline, argv[1], &load, shrink_to, &error);
      if (values == NULL)
        {
          const gchar *path = argv[1];
          if (g_str_has_prefix (error->message, path))
            fprintf (stderr, "%s\n", error->message);
          else
            fprintf (stderr, "%s: %s\n", path, error->message);
          return EXIT_INPUT_FAILED;
        }
    }
  CnnfiltShape shape;
  cnnfilt_tensor_get_shape (values, &shape);
  g_autofree gchar *shape_text = cnnfilt_shape_to_string (&shape);

  if (g_str_has_suffix (output, ".npy") || g_str_has_suffix (output, ".NPY"))
    {
      if (!cnnfilt_tensor_save_npy (values, output, &error))
        {
          fprintf (stderr, "%s\n", error->message);
          return EXIT_INPUT_FAILED;
        }
      return EXIT_OK;
    }

  /* the drawing is the library's (CnnfiltMosaic), as a program would use it */
  g_autoptr (CnnfiltMosaic) mosaic = cnnfilt_mosaic_new ();
  g_object_set (mosaic, "colormap", colormap, "columns", (guint) MAX (columns, 0),
                "tile-size", (guint) CLAMP (tile, 1, 4096), "max-tiles", (guint) MAX (max_tiles, 1),
                "labels", !no_labels,
                "range", range == NULL ? CNNFILT_MOSAIC_RANGE_AUTO
                         : g_str_equal (range, "layer") ? CNNFILT_MOSAIC_RANGE_LAYER
                                                        : CNNFILT_MOSAIC_RANGE_MAP, NULL);
  g_autoptr (CnnfiltTensor) picture = NULL;
  if (filters)
    {
      title = g_strdup_printf ("%s  %s  filters %s%s", model_name, layer, shape_text,
                               shape.c == 3 ? " (RGB)" : "");
      picture = cnnfilt_mosaic_render_filters (mosaic, values, title, &error);
    }
  else
    {
      /* one image: its channels, any batch beyond the first ignored */
      g_autofree gchar *base = g_path_get_basename (argv[1]);
      title = g_strdup_printf ("%s  %s  %s  %s", model_name, layer, shape_text, base);
      picture = cnnfilt_mosaic_render_maps (mosaic, values, title, &error);
    }
  gboolean ok = picture != NULL && cnnfilt_image_save (picture, output, &error);
  gboolean unlabelled = picture != NULL && !no_labels && !cnnfilt_mosaic_get_labelled (mosaic);
  if (!ok)
    {
      fprintf (stderr, "%s\n", error->message);
      return EXIT_INPUT_FAILED;
    }
  if (unlabelled)
    g_printerr ("cnnfilt: features: no font to draw labels with; %s has none\n", output);
  return EXIT_OK;
}
