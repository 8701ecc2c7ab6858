{{ stage_map_values() }}
