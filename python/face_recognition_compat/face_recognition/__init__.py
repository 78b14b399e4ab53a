"""face_recognition: a drop-in for face_recognition 1.3 (Adam Geitgey's dlib wrapper), run by facekit: the same functions, arguments and results, without dlib or Pillow."""

from .api import (batch_face_locations, compare_faces, face_distance, face_encodings, face_landmarks, face_locations,
                  load_image_file)

# the version of face_recognition whose interface this reproduces
__version__ = '1.3.0'

__all__ = ["load_image_file", "face_locations", "batch_face_locations", "face_landmarks", "face_encodings",
           "compare_faces", "face_distance"]
