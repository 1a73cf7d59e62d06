# The client of the original deployment, unchanged apart from taking the URL and image path.
import sys

import requests

url, image_path = sys.argv[1], sys.argv[2]
with open(image_path, 'rb') as f:
    jpeg_bytes = f.read()
files = {'file': ('image.jpg', jpeg_bytes, 'image/jpeg')}
r = requests.post(url, files=files)
print(r.json()['text'])
