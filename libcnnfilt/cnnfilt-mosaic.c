/* cnnfilt-mosaic.c: feature maps and filters tiled into one picture
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * What `cnnfilt features` draws, for any program: the activation maps of a
 * layer, or a conv layer's kernels, tiled with a colour map, each tile
 * numbered and a title on top (text by libvips' vips_text, through pango).
 */
#include "cnnfilt-mosaic.h"
#include "cnnfilt-enum-types.h"
#include "cnnfilt-error.h"

#include <math.h>
#include <string.h>
#include <vips/vips.h>


/* matplotlib's viridis at nine even steps, interpolated linearly */
static const guint8 viridis[9][3] = {
  { 68, 1, 84 },    { 72, 40, 120 },  { 62, 73, 137 },  { 49, 104, 142 }, { 38, 130, 142 },
  { 31, 158, 137 }, { 53, 183, 121 }, { 110, 206, 88 }, { 253, 231, 37 },
};

/* The colour of @t in [0, 1] (for the diverging map, 0.5 is zero: blue
 * below, red above, white between), as three values in [0, 1]. */
static void
colour (CnnfiltColormap map, gdouble t, gfloat rgb[3])
{
  t = CLAMP (isfinite (t) ? t : 0.0, 0.0, 1.0);
  if (map == CNNFILT_COLORMAP_GRAY)
    {
      rgb[0] = rgb[1] = rgb[2] = (gfloat) t;
      return;
    }
  if (map == CNNFILT_COLORMAP_DIVERGING)
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
                   "more than 400 million; give a smaller tile size or fewer tiles", width64, height64);
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
  CnnfiltColormap colormap;
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
  colour (CNNFILT_COLORMAP_DIVERGING, v / (2 * f->scale) + 0.5, rgb);
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


/**
 * CnnfiltMosaic:
 *
 * Draws the activation maps of one image at a layer, or a convolution's
 * kernels, as one RGB picture: tiles in a grid, a colour map, tile numbers
 * and a title. What `cnnfilt features` writes; its settings are the
 * properties.
 */
struct _CnnfiltMosaic {
  GObject parent_instance;
  CnnfiltColormap colormap;
  CnnfiltMosaicRange range;
  guint columns, tile_size, max_tiles;
  gboolean labels;
  gboolean labelled; /* the last picture has its labels */
};

G_DEFINE_TYPE (CnnfiltMosaic, cnnfilt_mosaic, G_TYPE_OBJECT)

enum { PROP_0, PROP_COLORMAP, PROP_RANGE, PROP_COLUMNS, PROP_TILE_SIZE, PROP_MAX_TILES, PROP_LABELS, N_PROPS };
static GParamSpec *properties[N_PROPS];

static void
cnnfilt_mosaic_set_property (GObject *object, guint id, const GValue *value, GParamSpec *pspec)
{
  CnnfiltMosaic *self = CNNFILT_MOSAIC (object);
  switch (id)
    {
    case PROP_COLORMAP: self->colormap = g_value_get_enum (value); break;
    case PROP_RANGE: self->range = g_value_get_enum (value); break;
    case PROP_COLUMNS: self->columns = g_value_get_uint (value); break;
    case PROP_TILE_SIZE: self->tile_size = g_value_get_uint (value); break;
    case PROP_MAX_TILES: self->max_tiles = g_value_get_uint (value); break;
    case PROP_LABELS: self->labels = g_value_get_boolean (value); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, id, pspec);
    }
}

static void
cnnfilt_mosaic_get_property (GObject *object, guint id, GValue *value, GParamSpec *pspec)
{
  CnnfiltMosaic *self = CNNFILT_MOSAIC (object);
  switch (id)
    {
    case PROP_COLORMAP: g_value_set_enum (value, self->colormap); break;
    case PROP_RANGE: g_value_set_enum (value, self->range); break;
    case PROP_COLUMNS: g_value_set_uint (value, self->columns); break;
    case PROP_TILE_SIZE: g_value_set_uint (value, self->tile_size); break;
    case PROP_MAX_TILES: g_value_set_uint (value, self->max_tiles); break;
    case PROP_LABELS: g_value_set_boolean (value, self->labels); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, id, pspec);
    }
}

static void
cnnfilt_mosaic_class_init (CnnfiltMosaicClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  object_class->set_property = cnnfilt_mosaic_set_property;
  object_class->get_property = cnnfilt_mosaic_get_property;
  const GParamFlags rw = G_PARAM_READWRITE | G_PARAM_CONSTRUCT | G_PARAM_STATIC_STRINGS;
  /**
   * CnnfiltMosaic:colormap:
   *
   * How values become colours (filters drawn in colour when they read RGB
   * ignore it; other filters use the diverging map).
   */
  properties[PROP_COLORMAP] = g_param_spec_enum ("colormap", "Colour map", "viridis, gray or diverging",
                                                 CNNFILT_TYPE_COLORMAP, CNNFILT_COLORMAP_VIRIDIS, rw);
  /**
   * CnnfiltMosaic:range:
   *
   * Whether each map is stretched to its own range or all share the layer's.
   */
  properties[PROP_RANGE] = g_param_spec_enum ("range", "Range", "auto, map or layer",
                                              CNNFILT_TYPE_MOSAIC_RANGE, CNNFILT_MOSAIC_RANGE_AUTO, rw);
  /**
   * CnnfiltMosaic:columns:
   *
   * Tiles per row; 0 for a square grid.
   */
  properties[PROP_COLUMNS] = g_param_spec_uint ("columns", "Columns", "Tiles per row; 0: a square grid",
                                                0, 65536, 0, rw);
  /**
   * CnnfiltMosaic:tile-size:
   *
   * The smallest tile side in pixels; small maps are enlarged by whole factors.
   */
  properties[PROP_TILE_SIZE] = g_param_spec_uint ("tile-size", "Tile size", "Smallest tile side in pixels",
                                                  1, 4096, 64, rw);
  /**
   * CnnfiltMosaic:max-tiles:
   *
   * At most this many tiles, the first ones; the title says so when cut.
   */
  properties[PROP_MAX_TILES] = g_param_spec_uint ("max-tiles", "Most tiles", "At most this many tiles",
                                                  1, G_MAXINT, 1024, rw);
  /**
   * CnnfiltMosaic:labels:
   *
   * Draw the title and the tile numbers.
   */
  properties[PROP_LABELS] = g_param_spec_boolean ("labels", "Labels", "Title and tile numbers", TRUE, rw);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
cnnfilt_mosaic_init (CnnfiltMosaic *self)
{
}

/**
 * cnnfilt_mosaic_new:
 *
 * Returns: (transfer full): a mosaic with the default settings
 */
CnnfiltMosaic *
cnnfilt_mosaic_new (void)
{
  return g_object_new (CNNFILT_TYPE_MOSAIC, NULL);
}

/**
 * cnnfilt_mosaic_get_labelled:
 * @self: a mosaic
 *
 * Returns: whether the last picture got its labels: %FALSE when labels
 *   were asked for but no font could draw them
 */
gboolean
cnnfilt_mosaic_get_labelled (CnnfiltMosaic *self)
{
  g_return_val_if_fail (CNNFILT_IS_MOSAIC (self), FALSE);
  return self->labelled;
}

/* The grid, the size and the cut of @t for @self's settings; the title
 * gets "(first N of M)" when cut. */
static CnnfiltTensor *
draw (CnnfiltMosaic *self, Tiles *t, const gchar *title, GError **error)
{
  g_autofree gchar *text = NULL;
  guint shown = MIN (t->n, self->max_tiles);
  if (shown < t->n)
    text = g_strdup_printf ("%s  (first %u of %u)", title ? title : "", shown, t->n);
  t->n = shown;
  t->columns = self->columns > 0 ? MIN (self->columns, t->n) : (guint) ceil (sqrt (t->n));
  t->scale = MAX (1u, (self->tile_size + MAX (t->h, t->w) - 1) / MAX (t->h, t->w));
  t->labels = self->labels;
  Canvas canvas = { 0 };
  gboolean unlabelled = FALSE;
  if (!render (t, text ? text : (title ? title : ""), &canvas, &unlabelled, error))
    {
      g_clear_object (&canvas.tensor);
      return NULL;
    }
  self->labelled = self->labels && !unlabelled;
  return canvas.tensor;
}

/**
 * cnnfilt_mosaic_render_maps:
 * @self: a mosaic
 * @maps: a layer's output for one image (the first of a batch is drawn):
 *   one tile per channel
 * @title: (nullable): the title; the values' range is appended
 * @error: return location for a #GError
 *
 * Tiles the maps. Each is stretched to its own range, or all to the
 * layer's (#CnnfiltMosaic:range; auto takes the layer's for maps of one
 * value, after a global pool or a linear layer).
 *
 * Returns: (transfer full): a 1 × 3 × H × W RGB picture in [0, 1], or
 *   %NULL with @error set when it would be too large
 */
CnnfiltTensor *
cnnfilt_mosaic_render_maps (CnnfiltMosaic *self, CnnfiltTensor *maps, const gchar *title,
                            GError **error)
{
  g_return_val_if_fail (CNNFILT_IS_MOSAIC (self), NULL);
  g_return_val_if_fail (CNNFILT_IS_TENSOR (maps), NULL);
  CnnfiltShape shape;
  cnnfilt_tensor_get_shape (maps, &shape);
  g_autofree gfloat *lo = g_new (gfloat, shape.c);
  g_autofree gfloat *hi = g_new (gfloat, shape.c);
  gfloat all_lo = INFINITY, all_hi = -INFINITY;
  for (guint c = 0; c < shape.c; c++)
    {
      const gfloat *p = cnnfilt_tensor_get_plane (maps, 0, c);
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
  gboolean per_layer = self->range == CNNFILT_MOSAIC_RANGE_LAYER ||
                       (self->range == CNNFILT_MOSAIC_RANGE_AUTO && shape.h * shape.w == 1);
  if (per_layer)
    for (guint c = 0; c < shape.c; c++)
      lo[c] = all_lo, hi[c] = all_hi;
  Maps m = { maps, self->colormap, lo, hi };
  Tiles t = { .n = shape.c, .h = shape.h, .w = shape.w, .pixel = map_pixel,
              .label = index_label, .data = &m };
  g_autofree gchar *text = g_strdup_printf ("%s%srange %.3g to %.3g", title ? title : "",
                                            title && *title ? "  " : "", all_lo, all_hi);
  return draw (self, &t, text, error);
}

/**
 * cnnfilt_mosaic_render_filters:
 * @self: a mosaic
 * @weights: a convolution's kernels, O × C × kh × kw
 * @title: (nullable): the title
 * @error: return location for a #GError
 *
 * Tiles the kernels: in colour, one tile per filter, when they read three
 * channels (a first layer of an RGB network); else one tile per input
 * channel of each filter (numbered O.C) on the diverging map. Zero is
 * mid-scale, the scale is the largest |weight|.
 *
 * Returns: (transfer full): a 1 × 3 × H × W RGB picture in [0, 1], or
 *   %NULL with @error set when it would be too large
 */
CnnfiltTensor *
cnnfilt_mosaic_render_filters (CnnfiltMosaic *self, CnnfiltTensor *weights, const gchar *title,
                               GError **error)
{
  g_return_val_if_fail (CNNFILT_IS_MOSAIC (self), NULL);
  g_return_val_if_fail (CNNFILT_IS_TENSOR (weights), NULL);
  CnnfiltShape shape;
  cnnfilt_tensor_get_shape (weights, &shape);
  Filters f = { cnnfilt_tensor_get_data (weights, NULL), shape.c, shape.h, shape.w, shape.c == 3, 0 };
  gsize count = cnnfilt_tensor_get_size (weights);
  for (gsize i = 0; i < count; i++)
    f.scale = MAX (f.scale, fabsf (f.weights[i]));
  if (f.scale == 0)
    f.scale = 1;
  Tiles t = { .n = f.rgb ? shape.n : shape.n * shape.c, .h = shape.h, .w = shape.w,
              .pixel = filter_pixel, .label = filter_label, .data = &f };
  return draw (self, &t, title, error);
}
