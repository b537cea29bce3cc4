"""idp_app"""
