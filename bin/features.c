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

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <vips/vips.h>

typedef enum { COLORMAP_VIRIDIS, COLORMAP_GRAY, COLORMAP_DIVERGING } Colormap;

/* matplotlib's viridis at nine even steps, interpolated linearly */
static const guint8 viridis[9][3] = {
  { 68, 1, 84 },    { 72, 40, 120 },  { 62, 73, 137 },  { 49, 104, 142 }, { 38, 130, 142 },
  { 31, 158, 137 }, { 53, 183, 121 }, { 110, 206, 88 }, { 253, 231, 37 },
};

/* The colour of @t in [0, 1] (for the diverging map, 0.5 is zero: blue
 * below, red above, white between), as three values in [0, 1]. */
static void
colour (Colormap map, gdouble t, gfloat rgb[3])
{
  t = CLAMP (isfinite (t) ? t : 0.0, 0.0, 1.0);
  if (map == COLORMAP_GRAY)
    {
      rgb[0] = rgb[1] = rgb[2] = (gfloat) t;
      return;
    }
  if (map == COLORMAP_DIVERGING)
    {
      static const gfloat blue[3] = { 59, 76, 192 }, red[3] = { 180, 4, 38 };
      const gfloat *end = t < 0.5 ? blue : red;
      gfloat a = (gfloat) fabs (t - 0.5) * 2; /* 0 at zero, 1 at the extremes */
      for (guint k = 0; k < 3; k++)
        rgb[k] = ((1 - a) * 255 + a * end[k]) / 255;
      return;
    }
  gdouble x = t * 8;
  guint i = MIN ((guint) x, 7);
  gdouble f = x - i;
  for (guint k = 0; k < 3; k++)
    rgb[k] = (gfloat) (((1 - f) * viridis[i][k] + f * viridis[i + 1][k]) / 255);
}

/* The picture being drawn: three float planes in [0, 1]. */
typedef struct {
  CnnfiltTensor *tensor;
  guint width, height;
  gfloat *planes[3];
} Canvas;

static gboolean
canvas_init (Canvas *canvas, guint width, guint height, GError **error)
{
  canvas->tensor = cnnfilt_tensor_new (1, 3, height, width, error);
  if (canvas->tensor == NULL)
    return FALSE;
  canvas->width = width;
  canvas->height = height;
  for (guint k = 0; k < 3; k++)
    canvas->planes[k] = cnnfilt_tensor_get_plane (canvas->tensor, 0, k);
  cnnfilt_tensor_fill (canvas->tensor, 0.12f);
  return TRUE;
}

static void
put (Canvas *canvas, guint x, guint y, const gfloat rgb[3])
{
  if (x < canvas->width && y < canvas->height)
    for (guint k = 0; k < 3; k++)
      canvas->planes[k][(gsize) y * canvas->width + x] = rgb[k];
}

/* Draws @text in light grey with its top left at (x, y), at most @max_w
 * wide. FALSE if no font could render it (the picture is then unlabelled). */
static gboolean
draw_text (Canvas *canvas, guint x, guint y, const gchar *text, gint size, guint max_w)
{
  VipsImage *mask = NULL;
  g_autofree gchar *font = g_strdup_printf ("sans %d", size);
  g_autofree gchar *escaped = g_markup_escape_text (text, -1);
  if (vips_text (&mask, escaped, "font", font, "dpi", 72, NULL) != 0)
    {
      vips_error_clear ();
      return FALSE;
    }
  VipsImage *bytes = NULL;
  gboolean ok = vips_cast_uchar (mask, &bytes, NULL) == 0;
  g_object_unref (mask);
  if (!ok)
    {
      vips_error_clear ();
      return FALSE;
    }
  gsize size_bytes;
  guint8 *alpha = vips_image_write_to_memory (bytes, &size_bytes);
  guint w = (guint) vips_image_get_width (bytes), h = (guint) vips_image_get_height (bytes);
  g_object_unref (bytes);
  if (alpha == NULL)
    return FALSE;
  for (guint j = 0; j < h; j++)
    for (guint i = 0; i < MIN (w, max_w); i++)
      {
        guint px = x + i, py = y + j;
        if (px >= canvas->width || py >= canvas->height)
          continue;
        gfloat a = alpha[(gsize) j * w + i] / 255.0f;
        for (guint k = 0; k < 3; k++)
          {
            gfloat *v = &canvas->planes[k][(gsize) py * canvas->width + px];
            *v = *v * (1 - a) + 0.92f * a;
          }
      }
  g_free (alpha);
  return TRUE;
}

/* The width in pixels @text takes at @size; 0 if no font renders it. */
static guint
text_width (const gchar *text, gint size)
{
  VipsImage *mask = NULL;
  g_autofree gchar *font = g_strdup_printf ("sans %d", size);
  g_autofree gchar *escaped = g_markup_escape_text (text, -1);
  if (vips_text (&mask, escaped, "font", font, "dpi", 72, NULL) != 0)
    {
      vips_error_clear ();
      return 0;
    }
  guint width = (guint) vips_image_get_width (mask);
  g_object_unref (mask);
  return width;
}

/* What is tiled: n tiles of h × w, each drawn by a callback. */
typedef struct {
  guint n, h, w;
  guint columns;
  guint scale;                /* each value becomes scale × scale pixels */
  gboolean labels;
  void (*pixel) (gpointer data, guint tile, guint y, guint x, gfloat rgb[3]);
  const gchar *(*label) (gpointer data, guint tile, gchar *buffer, gsize size);
  gpointer data;
} Tiles;

#define MARGIN 8
#define GAP 4
#define LABEL_H 13
#define TITLE_SIZE 13

static gboolean
render (const Tiles *t, const gchar *title, Canvas *canvas, gboolean *unlabelled, GError **error)
{
  /* in 64 bits: many columns of large tiles overflow 32 */
  guint64 tile_w = (guint64) t->w * t->scale, tile_h = (guint64) t->h * t->scale;
  guint label_h = t->labels ? LABEL_H : 0;
  guint64 rows = (t->n + (guint64) t->columns - 1) / t->columns;
  guint64 cell_w = MAX (tile_w, t->labels ? 24u : 0u) + GAP, cell_h = label_h + tile_h + GAP;
  guint title_h = t->labels ? TITLE_SIZE + 10 : 0;
  /* wide enough for the title on one line */
  guint64 width64 = MAX (2 * MARGIN + t->columns * cell_w - GAP,
                         t->labels ? 2 * MARGIN + text_width (title, TITLE_SIZE) : 0u);
  guint64 height64 = 2 * MARGIN + title_h + rows * cell_h - GAP;
  if (width64 > G_MAXINT || height64 > G_MAXINT || width64 * height64 > 400000000u)
    {
      g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_INVALID_ARGUMENT,
                   "the picture would be %" G_GUINT64_FORMAT "x%" G_GUINT64_FORMAT " pixels, "
                   "more than 400 million; give a smaller --tile or --max", width64, height64);
      return FALSE;
    }
  guint width = (guint) width64, height = (guint) height64;
  if (!canvas_init (canvas, width, height, error))
    return FALSE;
  *unlabelled = FALSE;
  if (t->labels && !draw_text (canvas, MARGIN, MARGIN, title, TITLE_SIZE, width - 2 * MARGIN))
    *unlabelled = TRUE;
  for (guint i = 0; i < t->n; i++)
    {
      guint x0 = MARGIN + (i % t->columns) * cell_w, y0 = MARGIN + title_h + (i / t->columns) * cell_h;
      if (t->labels && !*unlabelled)
        {
          gchar buffer[64];
          if (!draw_text (canvas, x0, y0, t->label (t->data, i, buffer, sizeof buffer), 9, cell_w))
            *unlabelled = TRUE;
        }
      for (guint y = 0; y < t->h; y++)
        for (guint x = 0; x < t->w; x++)
          {
            gfloat rgb[3];
            t->pixel (t->data, i, y, x, rgb);
            for (guint dy = 0; dy < t->scale; dy++)
              for (guint dx = 0; dx < t->scale; dx++)
                put (canvas, x0 + x * t->scale + dx, y0 + label_h + y * t->scale + dy, rgb);
          }
    }
  return TRUE;
}

/* Activation maps: one tile per channel, scaled to [0, 1] per map or over all. */
typedef struct {
  CnnfiltTensor *maps;
  Colormap colormap;
  gfloat *lo, *hi;       /* per channel */
} Maps;

static void
map_pixel (gpointer data, guint tile, guint y, guint x, gfloat rgb[3])
{
  Maps *m = data;
  gfloat v = cnnfilt_tensor_get_plane (m->maps, 0, tile)[(gsize) y * cnnfilt_tensor_get_w (m->maps) + x];
  gfloat range = m->hi[tile] - m->lo[tile];
  colour (m->colormap, range > 0 ? (v - m->lo[tile]) / range : 0.0, rgb);
}

static const gchar *
index_label (gpointer data, guint tile, gchar *buffer, gsize size)
{
  g_snprintf (buffer, size, "%u", tile);
  return buffer;
}

/* Filters: one tile per output filter, in colour when it reads three
 * channels (the first layer of an RGB network), else one tile per input
 * channel of each filter on a diverging map; zero is mid-scale. */
typedef struct {
  const gfloat *weights; /* O × C × kh × kw */
  guint c, kh, kw;
  gboolean rgb;
  gfloat scale;          /* the largest |weight| */
} Filters;

static void
filter_pixel (gpointer data, guint tile, guint y, guint x, gfloat rgb[3])
{
  Filters *f = data;
  gsize k = (gsize) f->kh * f->kw;
  if (f->rgb)
    {
      const gfloat *w = f->weights + (gsize) tile * 3 * k + (gsize) y * f->kw + x;
      for (guint ch = 0; ch < 3; ch++)
        rgb[ch] = CLAMP (w[ch * k] / (2 * f->scale) + 0.5f, 0.0f, 1.0f);
      return;
    }
  gfloat v = f->weights[(gsize) tile * k + (gsize) y * f->kw + x];
  colour (COLORMAP_DIVERGING, v / (2 * f->scale) + 0.5, rgb);
}

static const gchar *
filter_label (gpointer data, guint tile, gchar *buffer, gsize size)
{
  Filters *f = data;
  if (f->rgb)
    g_snprintf (buffer, size, "%u", tile);
  else
    g_snprintf (buffer, size, "%u.%u", tile / f->c, tile % f->c);
  return buffer;
}

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
parse_colormap (const gchar *name, Colormap *map)
{
  if (name == NULL || g_str_equal (name, "viridis"))
    *map = COLORMAP_VIRIDIS;
  else if (g_str_equal (name, "gray") || g_str_equal (name, "grey"))
    *map = COLORMAP_GRAY;
  else if (g_str_equal (name, "diverging"))
    *map = COLORMAP_DIVERGING;
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
  Colormap colormap;
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

  Tiles tiles = { 0 };
  Maps maps = { values, colormap };
  Filters kernels = { 0 };
  g_autofree gfloat *lo = NULL, *hi = NULL;
  if (filters)
    {
      kernels.weights = cnnfilt_tensor_get_data (values, NULL);
      kernels.c = shape.c;
      kernels.kh = shape.h;
      kernels.kw = shape.w;
      kernels.rgb = shape.c == 3;
      gsize count = cnnfilt_tensor_get_size (values);
      for (gsize i = 0; i < count; i++)
        kernels.scale = MAX (kernels.scale, fabsf (kernels.weights[i]));
      if (kernels.scale == 0)
        kernels.scale = 1;
      tiles.n = kernels.rgb ? shape.n : shape.n * shape.c;
      tiles.h = shape.h;
      tiles.w = shape.w;
      tiles.pixel = filter_pixel;
      tiles.label = filter_label;
      tiles.data = &kernels;
      title = g_strdup_printf ("%s  %s  filters %s%s", model_name, layer, shape_text,
                               kernels.rgb ? " (RGB)" : "");
    }
  else
    {
      /* one image: its channels, any batch beyond the first ignored */
      tiles.n = shape.c;
      tiles.h = shape.h;
      tiles.w = shape.w;
      lo = g_new (gfloat, shape.c);
      hi = g_new (gfloat, shape.c);
      gfloat all_lo = INFINITY, all_hi = -INFINITY;
      for (guint c = 0; c < shape.c; c++)
        {
          const gfloat *p = cnnfilt_tensor_get_plane (values, 0, c);
          lo[c] = INFINITY;
          hi[c] = -INFINITY;
          for (gsize i = 0; i < (gsize) shape.h * shape.w; i++)
            if (isfinite (p[i]))
              {
                lo[c] = MIN (lo[c], p[i]);
                hi[c] = MAX (hi[c], p[i]);
              }
          all_lo = MIN (all_lo, lo[c]);
          all_hi = MAX (all_hi, hi[c]);
        }
      /* maps of one value each (after a global pool or a linear layer) have
       * no range of their own: one scale for the layer, unless told */
      gboolean per_layer = range != NULL ? g_str_equal (range, "layer") : shape.h * shape.w == 1;
      if (per_layer)
        for (guint c = 0; c < shape.c; c++)
          lo[c] = all_lo, hi[c] = all_hi;
      maps.lo = lo;
      maps.hi = hi;
      tiles.pixel = map_pixel;
      tiles.label = index_label;
      tiles.data = &maps;
      g_autofree gchar *base = g_path_get_basename (argv[1]);
      title = g_strdup_printf ("%s  %s  %s  %s  range %.3g to %.3g", model_name, layer, shape_text,
                               base, all_lo, all_hi);
    }
  guint shown = MIN (tiles.n, (guint) max_tiles);
  if (shown < tiles.n)
    {
      gchar *longer = g_strdup_printf ("%s  (first %u of %u)", title, shown, tiles.n);
      g_free (title);
      title = longer;
    }
  tiles.n = shown;
  tiles.columns = columns > 0 ? MIN ((guint) columns, tiles.n) : (guint) ceil (sqrt (tiles.n));
  tiles.scale = MAX (1u, ((guint) tile + MAX (tiles.h, tiles.w) - 1) / MAX (tiles.h, tiles.w));
  tiles.labels = !no_labels;

  Canvas canvas = { 0 };
  gboolean unlabelled = FALSE;
  gboolean ok = render (&tiles, title, &canvas, &unlabelled, &error) &&
                cnnfilt_image_save (canvas.tensor, output, &error);
  g_clear_object (&canvas.tensor);
  if (!ok)
    {
      fprintf (stderr, "%s\n", error->message);
      return EXIT_INPUT_FAILED;
    }
  if (unlabelled)
    g_printerr ("cnnfilt: features: no font to draw labels with; %s has none\n", output);
  return EXIT_OK;
}
