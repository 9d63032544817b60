/* Colormap tables: 256 sRGB triples in [0, 1], index 0 for the lowest value. */
#ifndef ATS_COLORMAP_DATA_H
#define ATS_COLORMAP_DATA_H

extern const float ATS_CMAP_VIRIDIS[256][3];
extern const float ATS_CMAP_MAGMA[256][3];
extern const float ATS_CMAP_CIVIDIS[256][3];

#endif
