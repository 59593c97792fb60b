"""Query side of the pipeline: retrieve -> write -> check citations."""
