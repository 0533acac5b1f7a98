"""Video: the people in a family's videos, found like the people in its photos.

In data-flow order: `read` opens a file through PyAV within limits (pixels, decoded frames) and
turns every way a file can be broken into a `VideoError` with a reason; `meta` reads when, where
and with what it was recorded; `sample` picks the frames worth a face detector's time (about one
a second plus scene changes, capped per video); `track` links the faces found on them into
tracks, by box overlap within a shot and by descriptor distance across shots; `analyse` runs
the face models over the samples and makes each track one face record with its time spans;
`store` keeps what only videos have (duration, spans) in tables of their own, so people,
labels, suggestions and search treat a track like any other face.
"""
