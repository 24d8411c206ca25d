"""Which of these programs can a command in this container run? (healthcheck)

Run as `python -c <this> NAME...` in the running container, as the image's user and with its
environment, as the engine runs a HEALTHCHECK's command: a name with a slash must be an
executable file; a bare name is looked up on the container's PATH. Prints one JSON object:
each name and the file it resolves to, or null when the image does not have it.
"""

import json
import os
import shutil
import sys


def resolve(name):
    if "/" in name:
        return name if os.path.isfile(name) and os.access(name, os.X_OK) else None
    return shutil.which(name)


print(json.dumps({name: resolve(name) for name in sys.argv[1:]}))
